"""The Monitor bundle: simulator thread, pause, fault injection as ground truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from sensor_tui.model.tags import Config
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from tests.support.waiting import wait_until

OBSERVE = 0.2
"""A window in which nothing may happen (20 ticks): absence cannot be polled for."""


def test_injected_faults_are_recorded_as_events(config: Config, db_path: Path) -> None:
    monitor = Monitor(config, MonitorOptions(db_path=db_path, interval=0.01, seed=3))
    monitor.start()
    try:
        for kind in ("spike", "drift", "stuck", "noise"):
            monitor.simulator.inject("fermenter_ph", kind, duration=5)
        wait_until(lambda: monitor.pipeline.snapshot().stored >= 60, 10)
    finally:
        monitor.stop()
    events = list(
        Database(db_path).query(
            "select kind, tag, source, start, end from events where source = 'key' order by kind"
        )
    )
    assert [e["kind"] for e in events] == ["drift", "noise", "spike", "stuck"]
    assert all(e["tag"] == "fermenter_ph" and e["start"] and e["end"] for e in events)


def test_pause_stops_the_simulator_and_resume_restarts_it(config: Config, db_path: Path) -> None:
    monitor = Monitor(config, MonitorOptions(db_path=db_path, interval=0.01, seed=1))
    monitor.start()
    try:
        wait_until(lambda: monitor.pipeline.snapshot().stored > 0, 10)
        monitor.simulator.pause(True)
        # a tick already under way still submits: wait until the count holds still
        wait_until(_holds_still(monitor), 10, step=3 * monitor.options.interval)
        assert monitor.pipeline.flush(5)
        paused_at = monitor.pipeline.snapshot().stored
        time.sleep(OBSERVE)
        assert monitor.pipeline.flush(5)
        assert monitor.pipeline.snapshot().stored == paused_at
        monitor.simulator.pause(False)
        wait_until(lambda: monitor.pipeline.snapshot().stored > paused_at, 10)
    finally:
        monitor.stop()
    assert Database(db_path)["measurements"].count == monitor.pipeline.snapshot().stored


def _holds_still(monitor: Monitor) -> Callable[[], bool]:
    """A predicate: the received count did not move since the previous call."""
    previous = [-1]

    def still() -> bool:
        now = monitor.pipeline.snapshot().received
        same, previous[0] = now == previous[0], now
        return same

    return still
