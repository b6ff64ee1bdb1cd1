"""Every command fails the same way: one `sensor-tui: ...` line on stderr, exit 2 for usage and
bad input, 1 for a runtime failure; bad input to `export` is refused like HTTP's 400."""

from __future__ import annotations

from pathlib import Path

from .conftest import cli


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("sensor-tui: "), stderr
    return lines[0]


def test_export_of_an_unknown_tag_is_bad_input(imported_db: Path) -> None:
    done = cli("export", "--tag", "nope", cwd=imported_db.parent)
    assert done.returncode == 2 and done.stdout == ""
    assert "nope" in one_line(done.stderr)


def test_export_of_a_reversed_range_is_bad_input(imported_db: Path) -> None:
    done = cli("export", "--since", "2026-01-02", "--until", "2026-01-01", cwd=imported_db.parent)
    assert done.returncode == 2 and done.stdout == ""
    assert "--until" in one_line(done.stderr)


def test_recover_into_a_folder_that_does_not_exist_fails(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    done = cli("recover", "--db", str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert "nonexistent" in one_line(done.stderr)


def test_alarms_errors_take_the_same_form(tmp_path: Path) -> None:
    missing = cli("alarms", "--db", "nope.db", cwd=tmp_path)
    assert missing.returncode == 2 and "no database" in one_line(missing.stderr)
    bad_option = cli("alarms", "--state", "sideways", cwd=tmp_path)
    assert bad_option.returncode == 2 and "sideways" in one_line(bad_option.stderr)
    (tmp_path / "broken.db").write_bytes(b"not a database" * 100)
    broken = cli("alarms", "--db", "broken.db", cwd=tmp_path)
    assert broken.returncode == 1 and "Error" not in one_line(broken.stderr)


def test_usage_errors_of_other_commands_take_the_same_form(tmp_path: Path) -> None:
    done = cli("export", "--no-such-option", cwd=tmp_path)
    assert done.returncode == 2 and "--no-such-option" in one_line(done.stderr)
    done = cli("stats", "--db", "missing.db", cwd=tmp_path)
    assert done.returncode == 2 and "no database" in one_line(done.stderr)
