"""`sensor-tui export -o`: never replaces a file silently, never writes onto the database,
keeps a replaced file's mode, is not fooled by a symlink at the temporary name, leaves nothing
behind when it fails. Real subprocesses on real files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from .conftest import cli


def test_an_existing_file_is_not_replaced_without_force(imported_db: Path) -> None:
    folder = imported_db.parent
    (folder / "out.csv").write_text("precious\n")
    done = cli("export", "-o", "out.csv", cwd=folder)
    assert done.returncode == 2 and "exists" in done.stderr and "--force" in done.stderr
    assert (folder / "out.csv").read_text() == "precious\n"
    done = cli("export", "-o", "out.csv", "--force", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert (folder / "out.csv").read_text().count("\n") == 11  # header + ten readings


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_the_database_and_its_side_files_are_never_the_output(
    imported_db: Path, suffix: str
) -> None:
    folder = imported_db.parent
    target = f"sensor_data.db{suffix}"
    before = (folder / target).read_bytes() if (folder / target).exists() else None
    done = cli("export", "--db", "sensor_data.db", "-o", target, "--force", cwd=folder)
    assert done.returncode == 2 and "database" in done.stderr
    after = (folder / target).read_bytes() if (folder / target).exists() else None
    assert after == before
    assert cli("stats", "--db", "sensor_data.db", cwd=folder).returncode == 0


def test_the_database_through_a_symlink_is_refused_too(imported_db: Path) -> None:
    folder = imported_db.parent
    (folder / "link.csv").symlink_to(imported_db)
    done = cli("export", "-o", "link.csv", "--force", cwd=folder)
    assert done.returncode == 2 and "database" in done.stderr


def test_a_replaced_file_keeps_its_mode(imported_db: Path) -> None:
    folder = imported_db.parent
    (folder / "out.csv").write_text("old\n")
    os.chmod(folder / "out.csv", 0o600)
    assert cli("export", "-o", "out.csv", "--force", cwd=folder).returncode == 0
    assert stat.S_IMODE((folder / "out.csv").stat().st_mode) == 0o600


def test_a_symlink_at_the_old_partial_name_is_not_followed(imported_db: Path) -> None:
    folder = imported_db.parent
    victim = folder / "victim.txt"
    victim.write_text("do not touch\n")
    (folder / "out.csv.part").symlink_to(victim)
    done = cli("export", "-o", "out.csv", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert victim.read_text() == "do not touch\n"
    assert (folder / "out.csv").read_text().startswith("timestamp,tag,value")


def test_a_failed_export_leaves_no_partial_file(imported_db: Path) -> None:
    folder = imported_db.parent
    imported_db.with_name("sensor_data.db").write_bytes(b"not a database" * 100)
    for side in ("sensor_data.db-wal", "sensor_data.db-shm"):
        (folder / side).unlink(missing_ok=True)
    done = cli("export", "-o", "out.csv", cwd=folder)
    assert done.returncode == 1 and done.stderr.startswith("sensor-tui: ")
    assert sorted(p.name for p in folder.iterdir() if "out.csv" in p.name) == []
