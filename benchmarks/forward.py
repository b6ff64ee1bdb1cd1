"""Store-and-forward to the PostgreSQL historian, each figure beside its baseline from the same run.

    python benchmarks/forward.py                       # everything, 10-minute outage, 30 days
    python benchmarks/forward.py --outage 30 --kills 20 --pg-restarts 5 --view-days 30
    python benchmarks/forward.py --only rate,ingest

Phases (one throwaway PostgreSQL cluster for the run, `tests/support/postgres.py`):
1. rate: `--rows` readings already in an edge's SQLite file are forwarded (COPY to staging,
   INSERT ... ON CONFLICT, rollups); baseline: the same rows, already in memory, COPYed straight
   into the same partitioned table. Target: forwarding >= 0.5 of plain COPY.
2. ingest: readings submitted to an edge's pipeline in batches of 1,000, stored and flushed;
   with a forwarder running against the historian, and without. Target: on >= 0.8 of off.
3. chaos: 3 edge processes (`sensor-tui run --headless --forward`), `--kills` kill -9 restarts of
   an edge and `--pg-restarts` restarts of PostgreSQL while they forward; then counts and a hash
   per (site, tag) of every edge's file against the historian. Target: 0 lost, 0 duplicated.
4. outage: 3 edges at 1,000 readings/s each; the historian is stopped for `--outage` seconds
   (the status text is printed every 5 s meanwhile), then started; prints the drain time.
5. view: 3 sites x 3 tags x 1 Hz x `--view-days` days in the historian; in a child process, a
   30-day window of all 9 tags opens (hour rollups), a 1-day window pans screen by screen
   (minute rollups), and the child's peak RSS. Targets: < 1 s, < 100 ms, < 150 MB.
Prints one JSON document at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.support

from tests.support.forward_chaos import chaos
from tests.support.postgres import Cluster, start_cluster

from forward_phases import ingest_phase, outage_phase, rate_phase, view_phase

PHASES = ("rate", "ingest", "chaos", "outage", "view")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600_000)
    parser.add_argument("--ingest-rows", type=int, default=300_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--pg-restarts", type=int, default=5)
    parser.add_argument("--outage", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--view-days", type=int, default=30)
    parser.add_argument("--only", default=",".join(PHASES))
    parser.add_argument("--view-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.view_child:
        print(json.dumps(view_child(args.view_child, args.view_days)))
        return 0
    wanted = [p for p in args.only.split(",") if p]
    cluster = start_cluster()
    results: dict[str, Any] = {"machine": "shared, busy (2 cores, ~9 engineers)"}
    try:
        with tempfile.TemporaryDirectory(prefix="forward-bench-") as tmp:
            work = Path(tmp)
            for phase in wanted:
                print(f"== {phase}", file=sys.stderr, flush=True)
                results[phase] = run_phase(phase, cluster, work, args)
                print(json.dumps({phase: results[phase]}), file=sys.stderr, flush=True)
    finally:
        cluster.destroy()
    print(json.dumps(results, indent=2))
    chaos_result = results.get("chaos", {})
    return 1 if chaos_result.get("lost") or chaos_result.get("duplicated") else 0


def run_phase(phase: str, cluster: Cluster, work: Path, args: argparse.Namespace) -> Any:
    url = cluster.create_database(f"bench_{phase}")
    if phase == "rate":
        return rate_phase(cluster, url, work, args.rows)
    if phase == "ingest":
        return ingest_phase(url, work, args.ingest_rows)
    if phase == "chaos":
        (work / "chaos").mkdir()
        return chaos(cluster, url, work / "chaos", edges=3, kills=args.kills,
                     pg_restarts=args.pg_restarts)  # fmt: skip
    if phase == "outage":
        return outage_phase(cluster, url, work, args.outage)
    sizes = view_phase(url, args.view_days)
    child = subprocess.run(
        [sys.executable, __file__, "--view-child", url, "--view-days", str(args.view_days)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {**sizes, **json.loads(child.stdout)}


def view_child(url: str, days: int) -> dict[str, Any]:
    """In a fresh process: open a 30-day window of 9 tags, pan a 1-day window; peak RSS."""
    from sensor_tui.storage.historian.reader import PgReader
    from sensor_tui.storage.rollups import HOUR, MINUTE

    end = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=days)
    reader = PgReader(url)  # every site: tags named site/tag
    tags = [row["name"] for row in reader.tag_rows()]
    started = time.perf_counter()
    points = 0
    for tag in tags:
        points += len(reader.rollups(tag, HOUR, (end - timedelta(days=30)).timestamp(),
                                     end.timestamp())[0])  # fmt: skip
    open_s = time.perf_counter() - started
    pans = []
    day = 86_400.0
    for step in range(1, min(days, 10)):
        t0 = time.perf_counter()
        right = end.timestamp() - step * day
        for tag in tags:
            reader.rollups(tag, MINUTE, right - day, right)
        pans.append(time.perf_counter() - t0)
    reader.close()
    return {
        "tags": len(tags),
        "window_30d_open_s": round(open_s, 3),
        "window_30d_points": points,
        "pan_1d_screen_ms_mean": round(1000 * sum(pans) / len(pans), 1),
        "pan_1d_screen_ms_max": round(1000 * max(pans), 1),
        "peak_rss_mb": peak_rss_mb(),
        "targets": "open < 1 s, pan < 100 ms, peak < 150 MB",
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM, which starts afresh at exec (ru_maxrss
    does not: a child spawned by a large parent reports the parent's size)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    sys.exit(main())
