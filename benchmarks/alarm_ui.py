"""Benchmark of the alarm panel under a burst: 1,000 flagged readings on one tag
make one alarm row and cost the UI under 50 ms of work in total.

Each run: a fresh database with 300 quiet readings per tag of history, the real app (Pilot,
live, no simulator), then one burst: a stuck fermenter_temp sensor for 1,100 readings
submitted at once, as a gateway catching up would send it. The app's handlers are timed on the
UI thread from the first submit until the burst is committed and the UI is idle:

- alarm panel: `on_alarms_changed` (rows into the panel, spans onto the chart), plus the
  panel's share of the refresh ticks (value now, warm-up marks) while the burst lasted;
- baseline in the same run: `on_readings_stored`, the reading side the app already had
  (series, the anomaly table's rows, toasts), for the same burst; and the charts' replots
  while the burst lasted (the alarm's span makes its chart redraw at the next tick).

    python benchmarks/alarm_ui.py                  # 5 runs, batches of 10 readings
    python benchmarks/alarm_ui.py --batch 1100     # the burst as one batch
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sensor_tui.tui.app
from sensor_tui.model.readings import Reading
from sensor_tui.model.tags import Config, SimulatorSettings, load_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from sensor_tui.sources.simulator import Simulator
from sensor_tui.tui.alarm_pane import AlarmPane
from sensor_tui.tui.alarm_panel import AlarmPanel
from sensor_tui.tui.app import SensorApp

WARM, BURST = 300, 1100


class TimedPane(AlarmPane):
    """The real alarm pane with its drain handler and its tick timed."""

    costs: dict[str, float]

    def on_alarms_changed(self, message: Any) -> None:
        started = time.perf_counter()
        super().on_alarms_changed(message)
        message.prevent_default()
        self.costs["alarms"] += time.perf_counter() - started

    def tick(self, values_now: dict[str, float]) -> None:
        started = time.perf_counter()
        super().tick(values_now)
        self.costs["alarm_ticks"] += time.perf_counter() - started


class TimedApp(SensorApp):
    """The real app with its drain handlers timed (the base handlers run once, here)."""

    CSS_PATH = str(Path(sensor_tui.tui.app.__file__).with_name("app.tcss"))
    costs: dict[str, float]

    def __init__(self, monitor: Monitor) -> None:
        super().__init__(monitor)
        self.costs = {"alarms": 0.0, "readings": 0.0, "alarm_ticks": 0.0, "replot": 0.0}
        self.alarms = TimedPane(monitor, self._table, id="alarm-pane")
        self.alarms.costs = self.costs
        replot = self.charts.loader.replot

        def timed_replot(force: bool = False) -> None:
            started = time.perf_counter()
            replot(force)
            self.costs["replot"] += time.perf_counter() - started

        self.charts.loader.replot = timed_replot  # type: ignore[method-assign]

    def on_readings_stored(self, message: Any) -> None:
        started = time.perf_counter()
        super().on_readings_stored(message)
        message.prevent_default()
        self.costs["readings"] += time.perf_counter() - started


def scenario(config: Config) -> tuple[list[Reading], list[Reading]]:
    """Quiet history of every tag, then the burst: fermenter_temp stuck for BURST readings."""
    sim = Simulator(config, seed=3)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=WARM + BURST + 5)
    history: list[Reading] = []
    burst: list[Reading] = []
    for i in range(WARM + BURST):
        if i == WARM:
            sim.inject("fermenter_temp", "stuck", BURST)
        batch = sim.next_batch(start + timedelta(seconds=i))
        if i < WARM:
            history.extend(batch)
        else:
            burst.extend(r for r in batch if r.tag == "fermenter_temp")
    return history, burst


async def one_run(config: Config, directory: Path, batch: int) -> dict[str, float]:
    """One fresh database and app; the burst; the costs and what the panel shows."""
    db = directory / "burst.db"
    history, burst = scenario(config)
    pipeline = Pipeline(config, db)
    pipeline.start()
    pipeline.submit_readings(history).result(60)
    pipeline.stop()
    monitor = Monitor(config, MonitorOptions(db_path=db, simulate=False))
    app = TimedApp(monitor)
    async with app.run_test(size=(150, 44)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        for key in app.costs:  # the pane shares the dict
            app.costs[key] = 0.0
        started = time.perf_counter()
        futures = [
            app.monitor.pipeline.submit_readings(burst[i : i + batch])
            for i in range(0, len(burst), batch)
        ]
        for future in futures:
            future.result(60)
        while len(app.alarms._inbox) or len(app._feed._accepted) or len(app._feed._stored):
            await pilot.pause(0.02)
        await pilot.pause(0.3)
        elapsed = time.perf_counter() - started
        panel = app.query_one(AlarmPanel)
        flagged = sum(r.is_anomaly for r in burst)
        return {
            **app.costs,
            "flagged": flagged,
            "rows": panel.row_count,
            "wall": elapsed,
        }


def main() -> None:
    """Run, print the medians and spreads."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10, help="readings per submitted batch")
    args = parser.parse_args()
    config = replace(load_config(None), simulator=SimulatorSettings(spike_rate=0.0))
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as directory:
            results.append(asyncio.run(one_run(config, Path(directory), args.batch)))

    def line(key: str) -> str:
        ms = sorted(r[key] * 1000 for r in results)
        return f"median {statistics.median(ms):6.1f} ms  (min {ms[0]:.1f}, max {ms[-1]:.1f})"

    flagged = {int(r["flagged"]) for r in results}
    rows = {int(r["rows"]) for r in results}
    print(
        f"burst of {BURST} readings on fermenter_temp in batches of {args.batch}, "
        f"flagged {sorted(flagged)}; {args.runs} runs"
    )
    print(f"  alarm panel rows after the burst: {sorted(rows)}")
    print(f"  alarm panel (on_alarms_changed)         {line('alarms')}")
    print(f"  alarm panel ticks during the burst      {line('alarm_ticks')}")
    print(f"  baseline: readings side (series, table) {line('readings')}")
    print(f"  charts replotted during the burst       {line('replot')}")
    print("target: one row, alarm panel < 50 ms in total")


if __name__ == "__main__":
    main()
