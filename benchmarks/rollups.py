"""Cost of keeping the rollups: the writer's insert with and without them, and with a
per-row trigger instead, on the same rows, in the same run.

    python benchmarks/rollups.py [--rows 300000] [--repeats 3]

Each variant inserts the rows in groups of 20,000 (the writer's group size), one transaction per
group, into a fresh database made by the project's schema code:
- plain: the INSERT OR IGNORE alone (the rollups dropped: the cost before issue 12);
- rollups: what `Store.write_payload` does (the insert, then the new rows aggregated once);
- trigger: an AFTER INSERT trigger upserting both tables for each row (the alternative).
Prints the median time of each and the extra microseconds per row over plain.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from sensor_tui.model.tags import load_config
from sensor_tui.sources.simulator import generate_scenario
from sensor_tui.storage import create_schema
from sensor_tui.storage.rollups import add_new_rows
from sensor_tui.storage.store import INSERT_JSON_SQL

_UPSERT = (
    "INSERT INTO {table} VALUES (NEW.tag, substr(NEW.timestamp, 1, {n}), NEW.value, NEW.value,"
    " NEW.value, 1, NEW.is_anomaly != 0) ON CONFLICT (tag, bucket) DO UPDATE SET"
    " min = min(min, excluded.min), max = max(max, excluded.max), sum = sum + excluded.sum,"
    " count = count + 1, anomalies = anomalies + excluded.anomalies;"
)
TRIGGER = (
    "CREATE TRIGGER rollup_each_row AFTER INSERT ON measurements BEGIN "
    + _UPSERT.format(table="rollup_minute", n=16)
    + _UPSERT.format(table="rollup_hour", n=13)
    + " END"
)


def insert(payloads: list[str], variant: str, workdir: Path) -> float:
    """Seconds to insert every group with this variant."""
    path = workdir / f"{variant}-{time.monotonic_ns()}.db"
    db = Database(path)
    create_schema(db, load_config(None))
    conn = db.conn
    if variant == "trigger":
        conn.execute(TRIGGER)
    started = time.perf_counter()
    for payload in payloads:
        conn.execute("BEGIN IMMEDIATE")
        last = conn.execute("SELECT max(id) FROM measurements").fetchone()[0] or 0
        conn.execute(INSERT_JSON_SQL, (payload,))
        if variant == "rollups":
            add_new_rows(conn, last)
        conn.commit()
    took = time.perf_counter() - started
    db.close()
    return took


def main() -> None:
    """Time the three variants, alternating, and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = load_config(None)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    readings, _ = generate_scenario(config, seed=1, readings_per_tag=args.rows // 3, start=start)
    rows = [r.as_row() for r in readings]
    payloads = [json.dumps(rows[i : i + 20_000]) for i in range(0, len(rows), 20_000)]
    times: dict[str, list[float]] = {"plain": [], "rollups": [], "trigger": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for variant, out in times.items():
                out.append(insert(payloads, variant, Path(tmp)))
    plain = statistics.median(times["plain"])
    print(f"{len(rows):,} rows in groups of 20,000, median of {args.repeats} alternating runs")
    for variant, values in times.items():
        took = statistics.median(values)
        extra = (took - plain) / len(rows) * 1e6
        print(f"{variant:8}: {took:.3f} s  ({extra:+.2f} µs a row over plain)")


if __name__ == "__main__":
    main()
