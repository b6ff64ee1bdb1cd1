"""The Monitor bundle: simulator thread, pause, fault injection as ground truth (issue 2)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlite_utils import Database

from sensor_tui.runner import Monitor, MonitorOptions
from sensor_tui.tags import Config


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_injected_faults_are_recorded_as_events(config: Config, db_path: Path) -> None:
    monitor = Monitor(config, MonitorOptions(db_path=db_path, interval=0.01, seed=3))
    monitor.start()
    try:
        for kind in ("spike", "drift", "stuck", "noise"):
            monitor.simulator.inject("fermenter_ph", kind, duration=5)
        assert wait_for(lambda: monitor.pipeline.snapshot().stored >= 60)
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
        assert wait_for(lambda: monitor.pipeline.snapshot().stored > 0)
        monitor.simulator.pause(True)
        time.sleep(0.05)
        assert monitor.pipeline.flush(5)
        paused_at = monitor.pipeline.snapshot().stored
        time.sleep(0.2)
        assert monitor.pipeline.snapshot().stored == paused_at
        monitor.simulator.pause(False)
        assert wait_for(lambda: monitor.pipeline.snapshot().stored > paused_at)
    finally:
        monitor.stop()
    assert Database(db_path)["measurements"].count == monitor.pipeline.snapshot().stored
