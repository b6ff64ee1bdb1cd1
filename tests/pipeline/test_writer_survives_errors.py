"""The writer survives any exception inside a write: the transaction is rolled back (never left
open, which made every later write fail with "cannot start a transaction within a
transaction"), the readings are kept, and what cannot be written is counted, not lost silently."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from sensor_tui.pipeline import Pipeline
from sensor_tui.storage import Store
from tests.alarm_helpers import fault_stream, quiet
from tests.conftest import FAST_RETRY

pytestmark = pytest.mark.timeout(60)

ROW = ("2026-01-01T00:00:00.000000Z", "fermenter_temp", 37.0, 0, None, None, "http")


def test_a_failed_alarm_step_rolls_back_and_the_next_write_commits(tmp_path, config):
    store = Store(tmp_path / "db.sqlite", config)
    store.open()
    bad_alarm = {
        "id": "a1",
        "tag": "fermenter_temp",
        "kind": "spike",
        "start": "garbage",
        "end": "garbage",
        "peak_score": 9.0,
        "readings": 1,
        "active": 1,
    }
    with pytest.raises(ValueError):
        store.write_payload("[]", [bad_alarm])
    assert store.db is not None and not store.db.conn.in_transaction
    assert store.write_rows([ROW]) == 1
    store.close()


def test_readings_are_stored_and_the_bad_alarm_counted_when_its_write_fails(tmp_path, config):
    config = quiet(config)
    readings, _ = fault_stream(config, kind="step", duration=60, after=30)
    # A source handing over readings it did not validate: the fault's readings, and so the
    # alarm they open, carry a timestamp the alarm step cannot read.
    broken = {id(r) for r in readings[-90 * 3 :] if r.tag == "fermenter_temp"}
    readings = [
        replace(r, timestamp=r.timestamp.replace("-", "/", 1)) if id(r) in broken else r
        for r in readings
    ]
    db = tmp_path / "db.sqlite"
    pipeline = Pipeline(config, db, retry=FAST_RETRY)
    pipeline.start()
    try:
        for i in range(0, len(readings), 30):
            pipeline.submit_readings(readings[i : i + 30])
        assert pipeline.flush(30)
        later = fault_stream(config, kind="step", duration=1, after=1, seed=5)[0][-3:]
        later = [replace(r, timestamp=r.timestamp.replace(r.timestamp[:4], "2027")) for r in later]
        pipeline.submit_readings(later).result(10)
        snap = pipeline.counters.snapshot()
    finally:
        pipeline.stop()
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM measurements").fetchone()[0]
    assert stored == len(readings) + len(later)
    assert snap.write_errors >= 1 and snap.alarms_dropped >= 1
    assert snap.dead_lettered == 0 and not snap.outage
