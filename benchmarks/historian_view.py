"""The terminal monitor over the historian, measured through the app's own read path.

    python benchmarks/historian_view.py --days 30      # the target's scale: 23,328,000 readings
    python benchmarks/historian_view.py --days 3       # a quick run

A throwaway PostgreSQL cluster is filled with 3 sites x 3 tags x 1 Hz x `--days` days and their
minute and hour rollups (server-side `generate_series`, the fastest bulk path: no client in
between). Then, in a fresh child process (so its peak memory is its own), the real `SensorApp`
is opened on site0 through `HistorianView` and driven headless by Pilot:

- open: a 30-day window (or the whole fill when shorter) is asked for; the time until every
  chart holds its stored view (read by the app's worker through `PgReader`, drawn on arrival);
- pan: `[` (its action) taken `--pans` times on that window and on a 1-day window; the time
  from the key to every chart redrawn with the new span, mean and max, and its two parts:
  reading (key to the worker's answer) and drawing the three charts (plotext, as at the edge);
- peak memory: the child's VmHWM (peak resident set).

Baselines from the same run: a plain `SELECT count(*)` of the same site's readings over the
same 30 days (what reading the raw rows would at least cost), and the plain SQL of the rollup
rows one pan reads. Targets (issue: the historian view): open < 1 s, pan < 100 ms, peak < 150 MB.
Prints one JSON document; the machine it ran on was shared (say so beside any figure quoted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.support

from tests.support.postgres import start_cluster

from forward import peak_rss_mb
from forward_phases import view_phase

FIRST = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86_400


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--pans", type=int, default=10)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(measure(args.child, args.days, args.pans))))
        return 0
    cluster = start_cluster()
    try:
        url = cluster.create_database("bench_view")
        started = time.perf_counter()
        sizes = view_phase(url, args.days)
        fill_s = time.perf_counter() - started
        child = subprocess.run(
            [sys.executable, __file__, "--child", url, "--days", str(args.days),
             "--pans", str(args.pans)],
            stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        result = {
            "machine": "shared, busy (2 cores, several engineers)",
            "scale": f"3 sites x 3 tags x 1 Hz x {args.days} days",
            "fill_s": round(fill_s, 1),
            **sizes,
            **json.loads(child.stdout),
            **baselines(url, args.days),
            "targets": "open < 1 s, pan one screen < 100 ms, peak < 150 MB",
        }
    finally:
        cluster.destroy()
    print(json.dumps(result, indent=2))
    return 0


async def measure(url: str, days: int, pans: int) -> dict[str, Any]:
    """In the child: the app on site0, a month window opened and panned, a day window panned."""
    from sensor_tui.runtime.historian_view import HistorianView
    from sensor_tui.storage.series import WINDOWS
    from sensor_tui.tui.app import make_app

    end = (FIRST + timedelta(days=days)).timestamp()
    app = make_app(HistorianView(url, "site0"), clock=lambda: end, live=False)
    out: dict[str, Any] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.5)
        pane = app.charts
        pane.timeline.window_index = WINDOWS.index(30 * DAY)
        started = time.perf_counter()
        pane.loader.sync_view(force=True)
        await _drawn(pane)
        out["open_30d_window_s"] = round(time.perf_counter() - started, 3)
        out["open_30d_points"] = sum(len(c.stored_view.times) for c in pane.charts.values())
        out["pan_30d_window_ms"] = await _pans(pane, pans)
        pane.timeline.window_index = WINDOWS.index(DAY)
        pane.timeline.end = end
        pane.loader.sync_view(force=True)
        await _drawn(pane)
        out["pan_1d_window_ms"] = await _pans(pane, min(pans, max(days - 1, 1)))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


async def _pans(pane: Any, count: int) -> dict[str, float]:
    """`[` taken `count` times, each timed until every chart shows the new span; split
    into the read (key to the worker's answer) and the drawing of the three charts."""
    times, reads, draws = [], [], []
    arrived: list[float] = []
    loader = pane.loader
    replot = loader.replot  # called once per pan, when the worker's answer arrives

    def timed(force: bool = False) -> None:
        arrived.append(time.perf_counter())
        replot(force)
        draws.append(1000 * (time.perf_counter() - arrived[-1]))

    loader.replot = timed
    for _ in range(count):
        started = time.perf_counter()
        pane.action_pan(-1)  # what `[` does (Pilot's own settling after a key is not timed)
        await _drawn(pane)
        times.append(1000 * (time.perf_counter() - started))
        reads.append(1000 * (arrived[-1] - started))
    loader.replot = replot
    return {
        "mean": _mean(times),
        "max": round(max(times), 1),
        "read_mean": _mean(reads),
        "draw_mean": _mean(draws),
    }


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1)


async def _drawn(pane: Any, timeout: float = 60.0) -> None:
    """Until every chart holds the stored view the timeline wants (drawn in the same handler)."""
    span = pane.loader.wanted_view()
    deadline = time.perf_counter() + timeout
    while not all(
        c.stored_view is not None and (c.stored_view.since, c.stored_view.until) == span
        for c in pane.charts.values()
    ):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the view of {span} was not drawn")
        await asyncio.sleep(0.001)


def baselines(url: str, days: int) -> dict[str, Any]:
    """Plain SQL over the same spans: a count of the raw readings, the rollup rows of a pan."""
    import psycopg

    end = FIRST + timedelta(days=days)
    start = end - timedelta(days=30)
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        count = conn.execute(
            "SELECT count(*) FROM readings WHERE site = 'site0' AND ts >= %s AND ts < %s",
            (start, end),
        ).fetchone()[0]
        count_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for tag in ("fermenter_temp", "fermenter_ph", "agitator_rpm"):
            conn.execute(
                "SELECT bucket, min, max FROM rollup_minute WHERE site = 'site0' AND tag = %s"
                " AND bucket >= %s AND bucket < %s ORDER BY bucket",
                (tag, end - timedelta(days=2), end - timedelta(days=1)),
            ).fetchall()
        rollup_ms = 1000 * (time.perf_counter() - t0)
    return {
        "baseline_count_30d_readings": count,
        "baseline_count_30d_s": round(count_s, 3),
        "baseline_1d_minute_rollups_sql_ms": round(rollup_ms, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
