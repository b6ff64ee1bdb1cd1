"""Issue 5 with `sensor-tui import`: killed half-way and run again; a lock in the middle."""

from __future__ import annotations

import csv
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.helpers import LockHolder, db_keys, sensor_tui, wait_until

TAGS = (("fermenter_temp", 37.0), ("fermenter_ph", 7.0), ("agitator_rpm", 400.0))


def write_csv(path: Path, rows: int) -> None:
    """rows readings, one second apart, cycling through the three tags."""
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "tag", "value"])
        for i in range(rows):
            tag, value = TAGS[i % 3]
            out.writerow([1735689600 + i, tag, value])


def _count(db: Path) -> int:
    return len(db_keys(db)) if db.exists() else 0


def test_import_killed_then_rerun_stores_each_row_once(tmp_path: Path) -> None:
    """kill -9 in the middle of an import; running it again completes it, no duplicates."""
    source, db = tmp_path / "big.csv", tmp_path / "t.db"
    write_csv(source, 200_000)
    cmd = [sys.executable, "-m", "sensor_tui", "import", str(source), "--db", str(db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _count_quietly(db) > 0, 30)
        time.sleep(random.Random(5).uniform(0.0, 0.3))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    partial = _count(db)
    assert 0 < partial < 200_000  # killed in the middle
    again = sensor_tui("import", str(source), "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert f"{200_000 - partial} stored, {partial} already stored" in again.stdout
    rows = db_keys(db)
    assert len(rows) == len(set(rows)) == 200_000


def _count_quietly(db: Path) -> int:
    try:
        return _count(db)
    except Exception:  # the importer is creating the schema right now
        return 0


@pytest.mark.slow
def test_import_through_a_lock_dead_letters_then_recovers(tmp_path: Path) -> None:
    """A lock taken in the middle of an import and held past the retry budget: the summary
    counts the rows dead-lettered, nothing is lost, `recover` stores them after the lock."""
    source, db = tmp_path / "big.csv", tmp_path / "t.db"
    write_csv(source, 600_000)
    cmd = [sys.executable, "-m", "sensor_tui", "import", str(source), "--db", str(db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = None
    try:
        wait_until(lambda: _count_quietly(db) > 0, 30)
        holder = LockHolder(db, 40)
        out, err = proc.communicate(timeout=120)
    finally:
        if holder is not None:
            holder.release()
        proc.kill()
    assert proc.returncode == 0, err
    summary = out.split()
    dead_lettered = int(summary[summary.index("dead-lettered,") - 1])
    assert dead_lettered > 0, out
    assert _count(db) + dead_lettered == 600_000
    done = sensor_tui("recover", "--db", str(db))
    assert f"{dead_lettered} stored" in done.stdout, done.stdout
    assert len(set(db_keys(db))) == len(db_keys(db)) == 600_000
