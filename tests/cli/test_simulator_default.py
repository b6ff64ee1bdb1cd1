"""A database that holds only imported readings is browsed without the simulator (which would
write invented readings and false alarms into real data) unless `--sim` asks for it; a new or a
simulator's database still gets it. Real subprocesses, real files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .conftest import cli

RUN = ("run", "--headless", "--db", "sensor_data.db", "--interval", "0.05", "--duration", "1")


def sim_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM measurements WHERE source = 'sim'").fetchone()[0]


def test_an_imported_database_is_opened_without_the_simulator(imported_db: Path) -> None:
    done = cli(*RUN, cwd=imported_db.parent)
    assert done.returncode == 0, done.stderr
    assert sim_rows(imported_db) == 0
    assert "--sim" in done.stderr


def test_sim_starts_it_on_an_imported_database(imported_db: Path) -> None:
    done = cli(*RUN, "--sim", cwd=imported_db.parent)
    assert done.returncode == 0, done.stderr
    assert sim_rows(imported_db) > 0


def test_a_new_database_and_a_simulators_database_get_the_simulator(tmp_path: Path) -> None:
    assert cli(*RUN, cwd=tmp_path).returncode == 0
    first = sim_rows(tmp_path / "sensor_data.db")
    assert first > 0
    assert cli(*RUN, cwd=tmp_path).returncode == 0
    assert sim_rows(tmp_path / "sensor_data.db") > first
