"""Benchmark of `sensor-tui alarms report`: under a second on 10 million readings
and 10,000 alarms.

The database is built fast, in SQL: the real schema (a writer `Store` opens the file and
migrates it), then 10,000,000 readings of three tags at 1 Hz and 10,000 alarms with their
journal lines, and 2,000 fault events, inserted by recursive CTEs in one transaction each.
The file is kept (--keep) so a second run skips the build.

Prints the median wall time of the real command (a subprocess, as a user runs it) over
--runs runs with the spread, beside a baseline measured in the same run: `sensor-tui --version`
(the interpreter and CLI start alone), and `sensor-tui alarms --json` (the list), and the
in-process report time (what the health screen waits for).

    python benchmarks/alarms.py                   # 10M readings, 10,000 alarms, 5 runs
    python benchmarks/alarms.py --readings 1000000 --runs 3   # a quick variant
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = "2025-01-01 00:00:00"


def sensor_tui() -> str:
    """The installed console script next to this interpreter."""
    return shutil.which("sensor-tui", path=str(Path(sys.executable).parent)) or "sensor-tui"


def build(db: Path, readings: int, alarms: int, events: int) -> float:
    """The database, in SQL; returns the seconds it took."""
    from sensor_tui.model.tags import load_config
    from sensor_tui.storage import Store, connect

    started = time.perf_counter()
    store = Store(db, load_config(None))
    store.open()
    store.close()
    conn = connect(db).conn
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO measurements (timestamp, tag, value, is_anomaly, score, kind, source) "
        "SELECT strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, '+' || (i / 3) || ' seconds'), "
        "CASE i % 3 WHEN 0 THEN 'fermenter_temp' WHEN 1 THEN 'fermenter_ph' "
        "ELSE 'agitator_rpm' END, 37.0 + (i % 17) * 0.1, (i % 997 = 0), 0.1, NULL, 'sim' "
        "FROM n",
        (readings - 1, START),
    )
    conn.commit()
    spacing = readings // 3 // alarms  # seconds between alarm starts
    conn.execute("BEGIN")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        'INSERT INTO alarms (id, tag, kind, start, "end", peak_score, readings, active, state, '
        "priority, peak_value, deviation, source, origin, updated_at) "
        "SELECT tag || '@' || s, tag, kind, s, e, 0.9, 30, 0, "
        "CASE i % 4 WHEN 0 THEN 'normal' WHEN 1 THEN 'rtn_unack' WHEN 2 THEN 'normal' "
        "ELSE 'shelved' END, 1 + i % 4, 42.0, 0.3, 'sim', "
        "CASE WHEN i % 5 = 0 THEN 'injected' ELSE NULL END, e FROM ("
        "SELECT i, CASE i % 3 WHEN 0 THEN 'fermenter_temp' WHEN 1 THEN 'fermenter_ph' "
        "ELSE 'agitator_rpm' END AS tag, CASE i % 5 WHEN 0 THEN 'step' WHEN 1 THEN 'spike' "
        "WHEN 2 THEN 'drift' WHEN 3 THEN 'stuck' ELSE 'noise' END AS kind, "
        "strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, '+' || (i * ?) || ' seconds') AS s, "
        "strftime('%Y-%m-%dT%H:%M:%S.000000Z', ?, '+' || (i * ? + 30) || ' seconds') AS e "
        "FROM n)",
        (alarms - 1, START, spacing, START, spacing),
    )
    conn.execute(
        "INSERT INTO alarm_events (alarm_id, time, from_state, to_state, actor, via, detail) "
        "SELECT id, start, NULL, 'unack', 'detector', 'pipeline', 'opened' FROM alarms"
    )
    every = max(1, alarms // events)
    conn.execute(
        'INSERT INTO events (id, start, "end", tag, kind, source, detail) '
        "SELECT 'ev' || rowid, start, \"end\", tag, kind, "
        "CASE WHEN rowid % 2 THEN 'key' ELSE 'random' END, '' FROM alarms WHERE rowid % ? = 0",
        (every,),
    )
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def wall(argv: list[str]) -> float:
    """Seconds one run of a command takes (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def in_process(db: Path) -> float:
    """Seconds `build_report` takes in this process (the health screen's wait)."""
    from sensor_tui.alarming.report import build_report
    from sensor_tui.storage import Reader
    from sensor_tui.storage.alarm_reads import report_inputs

    reader = Reader(db)
    started = time.perf_counter()
    build_report(*report_inputs(reader))
    elapsed = time.perf_counter() - started
    reader.close()
    return elapsed


def summary(times: list[float]) -> str:
    """Median and spread in ms."""
    ms = sorted(t * 1000 for t in times)
    return f"median {statistics.median(ms):7.1f} ms  (min {ms[0]:.1f}, max {ms[-1]:.1f})"


def main() -> None:
    """Build (or reuse) the database, time the commands, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readings", type=int, default=10_000_000)
    parser.add_argument("--alarms", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="database file to build once and reuse")
    args = parser.parse_args()
    db = args.keep or Path(tempfile.mkdtemp(prefix="sensor-tui-alarms-")) / "bench.db"
    if not db.exists():
        seconds = build(db, args.readings, args.alarms, args.events)
        print(f"built {db} in {seconds:.1f} s ({db.stat().st_size / 1e9:.2f} GB)")
    cli = sensor_tui()
    print(
        f"{args.readings:,} readings, {args.alarms:,} alarms, {args.events:,} events; "
        f"{args.runs} runs each"
    )
    rows = [
        ("baseline: sensor-tui --version", [cli, "--version"]),
        ("sensor-tui alarms --json", [cli, "alarms", "--db", str(db), "--json"]),
        ("sensor-tui alarms report", [cli, "alarms", "report", "--db", str(db)]),
        ("sensor-tui alarms report --json", [cli, "alarms", "report", "--db", str(db), "--json"]),
    ]
    for label, argv in rows:
        print(f"  {label:36s} {summary([wall(argv) for _ in range(args.runs)])}")
    print(
        f"  {'report in process (health screen)':36s} "
        f"{summary([in_process(db) for _ in range(args.runs)])}"
    )
    print("target: alarms report < 1000 ms")
    if not args.keep:
        shutil.rmtree(db.parent)


if __name__ == "__main__":
    main()
