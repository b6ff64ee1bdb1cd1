"""A restart carries no stale state: an injected fault left open by a previous run (its events
row has no end) must not claim the alarms of the next run as `injected`."""

from __future__ import annotations

import sqlite3

import pytest

from sensor_tui.model.events import Event
from sensor_tui.pipeline import Pipeline
from tests.alarm_helpers import quiet, scenario
from tests.conftest import FAST_RETRY, make_monitor

pytestmark = pytest.mark.timeout(60)

TAG = "fermenter_temp"


def test_alarms_after_a_restart_are_not_put_down_to_a_fault_of_the_previous_run(tmp_path, config):
    config = quiet(config)
    # One quiet stream; a step on the tag at tick 320, in the second run only.
    readings, _ = scenario(config, {320: (TAG, "step", 120)}, 520)
    first, second = readings[: 200 * 3], readings[200 * 3 :]
    db = tmp_path / "plant.db"

    run1 = Pipeline(config, db, retry=FAST_RETRY)  # the previous run: a fault injected at tick
    run1.start()  # 100, and the process gone before the fault's end was written
    run1.record_event(Event("drift", start=first[100 * 3].timestamp, tag=TAG, source="key"))
    run1.submit_readings(first).result(10)
    run1.stop()

    monitor = make_monitor(db, config, simulate=False)
    monitor.start()
    try:
        for i in range(0, len(second), 30):
            monitor.pipeline.submit_readings(second[i : i + 30])
        assert monitor.pipeline.flush(30)
    finally:
        monitor.stop()
    with sqlite3.connect(db) as conn:
        origins = conn.execute("SELECT origin FROM alarms WHERE tag = ?", (TAG,)).fetchall()
        (end,) = conn.execute('SELECT "end" FROM events').fetchone()
    assert origins, "the step raised no alarm"
    assert all(origin != "injected" for (origin,) in origins), origins
    assert end == first[-3].timestamp  # ended at the tag's last reading of the previous run
