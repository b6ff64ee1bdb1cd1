"""Importing the same CSV twice changes nothing: the replay stores no reading (UNIQUE (tag,
timestamp)), and must neither invent an alarm nor rewrite one (it once added a drift alarm over
readings that were not flagged, and rewrote an existing alarm's reading count)."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sensor_tui.model.tags import load_config
from sensor_tui.sources.simulator import generate_scenario

pytestmark = pytest.mark.timeout(120)

TABLES = ("measurements", "alarms", "alarm_events", "events", "rollup_minute", "rollup_hour")


def table_hashes(db: Path) -> dict[str, str]:
    """A hash of every row of each table, in a fixed order."""
    hashes = {}
    with sqlite3.connect(db) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        for table in TABLES:
            if table not in names:
                continue
            digest = hashlib.sha256()
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3"):
                digest.update(repr(row).encode())
            hashes[table] = digest.hexdigest()
    return hashes


def write_scenario(path: Path, per_tag: int = 2400) -> None:
    config = load_config(None)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    readings, _ = generate_scenario(
        config, seed=3, readings_per_tag=per_tag, start=start, faults_per_hour=6.0
    )
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "tag", "value"])
        for r in readings:
            writer.writerow([r.timestamp[:19] + "Z", r.tag, r.value])


def sensor_import(csv_path: Path, db: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "sensor_tui", "import", str(csv_path), "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def test_a_replayed_import_leaves_every_table_as_it_was(tmp_path: Path) -> None:
    csv_path, db = tmp_path / "plant.csv", tmp_path / "plant.db"
    write_scenario(csv_path)
    first = sensor_import(csv_path, db)
    assert "7,200 stored" in first or "7200 stored" in first, first
    before = table_hashes(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM alarms").fetchone()[0] > 0
    second = sensor_import(csv_path, db)
    assert "0 stored" in second and "7,200 already stored" in second.replace("7200", "7,200")
    assert table_hashes(db) == before
