"""Import throughput: `sensor-tui import` against a plain sqlite3 executemany of the same rows.

    python benchmarks/ingest.py [--rows 300000] [--repeats 3]

Builds a CSV of simulated readings (3 tags at 1 Hz), then, in the same run and alternating:
- times the real `sensor-tui import FILE.csv` in a subprocess (CSV parsing, validation, detection,
  group commit; process start-up included), on a fresh database each time;
- times the baseline: the same rows, already parsed into tuples, inserted with one `executemany`
  into a table with the same columns, indexes and pragmas (created by the same schema code), but
  without the rollup trigger: the import pays for its rollups, the baseline does not.
Prints the median rate of each and the ratio (target: import >= 0.5 x baseline).
"""

from __future__ import annotations

import argparse
import csv
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sensor_tui.model.tags import load_config
from sensor_tui.sources.simulator import generate_scenario
from sensor_tui.storage import create_schema
from sensor_tui.storage.store import INSERT_SQL


def build_csv(path: Path, rows: int) -> list[tuple]:
    """Write the CSV and return the same readings as insert tuples for the baseline."""
    config = load_config(None)
    per_tag = rows // len(config.tags)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    readings, _ = generate_scenario(config, seed=1, readings_per_tag=per_tag, start=start)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "tag", "value"])
        for r in readings:
            writer.writerow([r.timestamp[:19] + "Z", r.tag, r.value])
    return [(r.timestamp, r.tag, r.value, 0, None, None, "import") for r in readings]


def time_import(csv_path: Path, workdir: Path) -> float:
    db = workdir / "import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sensor_tui", "import", str(csv_path), "--db", str(db)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def time_baseline(rows: list[tuple], workdir: Path) -> float:
    from sqlite_utils import Database

    db_path = workdir / "baseline.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    create_schema(Database(db_path), load_config(None))
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER IF EXISTS measurements_rollup")  # baseline: the plain insert
    conn.close()
    started = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.executemany(INSERT_SQL, rows)
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "readings.csv"
        rows = build_csv(csv_path, args.rows)
        n = len(rows)
        size_mb = os.path.getsize(csv_path) / 1e6
        print(f"CSV: {n} readings, {size_mb:.1f} MB; {args.repeats} runs each, alternating")
        imports, baselines = [], []
        for _ in range(args.repeats):
            imports.append(time_import(csv_path, workdir))
            baselines.append(time_baseline(rows, workdir))
        t_import, t_base = statistics.median(imports), statistics.median(baselines)
        print(
            f"sensor-tui import     : {n / t_import:>10,.0f} readings/s  (median {t_import:.2f} s)"
        )
        print(f"sqlite3 executemany   : {n / t_base:>10,.0f} readings/s  (median {t_base:.2f} s)")
        print(f"ratio import/baseline : {t_base / t_import:.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
