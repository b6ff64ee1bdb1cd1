"""Issue 5 regressions found in the pipeline core: each test failed before its fix."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from sensor_tui.model.counters import Snapshot
from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import NotDurable, Pipeline, PipelineStopped, RetryPolicy
from sensor_tui.storage import Reader, Store, StoreUnavailable
from tests.reliability.helpers import (
    FAST_RETRY,
    LockHolder,
    db_keys,
    measurements,
    wait_until,
)
from tests.support.timing import time_limits


def in_flight(snap: Snapshot) -> int:
    """received + replayed minus every outcome: readings without an outcome yet."""
    outcomes = snap.stored + snap.duplicates + snap.rejected_total + snap.dead_lettered
    return snap.received + snap.replayed - outcomes - snap.not_durable


def balanced(pipeline: Pipeline) -> None:
    """After a flush every reading has exactly one outcome (the counters' audit)."""
    assert pipeline.flush(10)
    snap = pipeline.snapshot()
    assert in_flight(snap) == 0, snap.as_dict()
    assert snap.retry_depth == 0


def test_cancelled_future_does_not_kill_the_writer(make_pipeline) -> None:
    """An HTTP client that hangs up cancels its future; the pipeline must go on working."""
    pipeline = make_pipeline()
    pipeline.set_outage(True)
    abandoned = pipeline.submit(measurements(0, 5), "http")
    assert abandoned.cancel()
    pipeline.set_outage(False)
    later = pipeline.submit(measurements(100, 5), "http")
    assert later.result(10).stored == 5
    balanced(pipeline)
    assert len(db_keys(pipeline.db_path)) == 10  # the cancelled batch was stored too


def test_counters_balance_through_outage_dead_letter_and_replay(make_pipeline) -> None:
    """received + replayed == stored + duplicates + rejected + dead_lettered (+ in flight)."""
    pipeline = make_pipeline()
    pipeline.set_outage(True)
    futures = [pipeline.submit(measurements(i * 10, 10), "http") for i in range(5)]
    assert all(f.result(10).dead_lettered == 10 for f in futures)
    pipeline.submit([{"tag": "nope", "value": 1}], "http").result(5)
    pipeline.set_outage(False)
    assert pipeline.submit(measurements(500, 3), "http").result(10).stored == 3
    balanced(pipeline)
    snap = pipeline.snapshot()
    assert snap.dead_lettered == 50 and snap.replayed == 50 and snap.dead_letter_pending == 0
    assert snap.in_flight == in_flight(snap) == 0  # the property the UI and /stats can show
    assert len(db_keys(pipeline.db_path)) == 53


def test_dead_letter_append_failure_keeps_readings(make_pipeline, tmp_path: Path) -> None:
    """Outage and an unwritable dead-letter path: senders are told, readings kept, then stored."""
    missing = tmp_path / "not-yet" / "failed.jsonl"
    pipeline = make_pipeline(dead_letter=missing)
    pipeline.set_outage(True)
    future = pipeline.submit(measurements(0, 4), "http")
    with pytest.raises(NotDurable):
        future.result(10)
    # kept in memory, not dropped (the sender is told first, so wait for the hand-over)
    wait_until(lambda: pipeline.snapshot().retry_depth == 4, 5)
    pipeline.set_outage(False)
    assert pipeline.flush(10)
    balanced(pipeline)
    assert pipeline.snapshot().not_durable == 0
    assert len(db_keys(pipeline.db_path)) == 4


def test_dead_letter_failure_at_stop_is_counted_and_logged(
    make_pipeline, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The one real loss (no database, no dead-letter file, shutting down) is never silent."""
    pipeline = make_pipeline(dead_letter=tmp_path / "not-yet" / "failed.jsonl")
    pipeline.set_outage(True)
    future = pipeline.submit(measurements(0, 3), "http")
    with pytest.raises(NotDurable):
        future.result(10)
    with caplog.at_level(logging.ERROR, logger="sensor_tui.pipeline"):
        pipeline.stop(10)
    snap = pipeline.snapshot()
    assert snap.not_durable == 3 and in_flight(snap) == 0
    assert sum("not stored: {" in r.getMessage() for r in caplog.records) == 3


def test_stop_with_retries_pending_dead_letters_them(make_pipeline) -> None:
    """Stop during an outage: every queued or retrying reading goes to the dead-letter file."""
    pipeline = make_pipeline()
    pipeline.set_outage(True)
    futures = [pipeline.submit(measurements(i * 10, 10), "http") for i in range(20)]
    pipeline.stop(10)
    results = [f.result(1) for f in futures]
    assert sum(r.dead_lettered for r in results) == 200
    assert pipeline.dead_letter.pending() == 200
    assert in_flight(pipeline.snapshot()) == 0


def test_submit_racing_stop_leaves_no_future_pending(tmp_path: Path) -> None:
    """A batch queued behind the stop marker used to wait forever (and was lost)."""
    for attempt in range(5):
        pipeline = Pipeline(load_config(None), tmp_path / f"r{attempt}.db", retry=FAST_RETRY)
        pipeline.start()
        futures: list[Future] = []
        go = threading.Event()

        def sender(
            offset: int,
            pipeline: Pipeline = pipeline,
            go: threading.Event = go,
            futures: list[Future] = futures,
        ) -> None:
            go.wait()
            for i in range(200):
                try:
                    futures.append(pipeline.submit(measurements(offset + i * 2, 2), "http"))
                except PipelineStopped:
                    return

        threads = [threading.Thread(target=sender, args=(k * 10_000,)) for k in range(3)]
        for t in threads:
            t.start()
        go.set()
        pipeline.stop(10)
        for t in threads:
            t.join(10)
        assert all(f.done() for f in futures)
        stored = sum(f.result().stored + f.result().dead_lettered for f in futures)
        assert stored == 2 * len(futures) == len(db_keys(tmp_path / f"r{attempt}.db"))


def test_database_deleted_right_before_commit(tmp_path: Path) -> None:
    """A commit that lands in an unlinked file is not reported as stored."""
    db = tmp_path / "gone.db"
    store = Store(db, load_config(None))
    store.open()
    assert store.db is not None

    def delete_at_commit(sql: str) -> None:
        if sql.strip().upper() == "COMMIT" and db.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)

    store.db.conn.set_trace_callback(delete_at_commit)
    rows = [r for r in _rows(3)]
    with pytest.raises(StoreUnavailable, match="replaced"):
        store.write_rows(rows)
    assert store.write_rows(rows) == 3  # the retry writes into the new file
    store.close()
    assert len(db_keys(db)) == 3


def _rows(n: int) -> list[tuple]:
    from sensor_tui.model.readings import Validator

    validator = Validator(load_config(None))
    return [validator.validate_mapping(m, "http").as_row() for m in measurements(0, n)]


def test_database_deleted_while_running_keeps_acked(make_pipeline) -> None:
    """The seed's exercise: delete the database files; acknowledged readings are in the new one."""
    pipeline = make_pipeline()
    assert pipeline.submit(measurements(0, 5), "http").result(10).stored == 5
    for suffix in ("", "-wal", "-shm"):
        Path(f"{pipeline.db_path}{suffix}").unlink(missing_ok=True)
    results = [pipeline.submit(measurements(100 + i * 5, 5), "http").result(10) for i in range(4)]
    assert all(r.stored + r.dead_lettered == 5 for r in results)
    balanced(pipeline)
    conn = sqlite3.connect(pipeline.db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert len(db_keys(pipeline.db_path)) == 20


def test_start_waits_out_a_short_lock(tmp_path: Path) -> None:
    """A restart while another process briefly holds the lock starts instead of exiting."""
    db = tmp_path / "locked.db"
    first = Pipeline(load_config(None), db)
    first.start()
    first.stop()
    holder = LockHolder(db, 3.0)
    assert holder.locked
    try:
        pipeline = Pipeline(load_config(None), db)
        pipeline.start()  # default policy: open retried for ~1 s + busy waits
        assert pipeline.submit(measurements(0, 2), "http").result(20).stored == 2
        pipeline.stop()
    finally:
        holder.release()
    assert os.path.exists(db)


def test_reader_follows_a_recreated_database(make_pipeline) -> None:
    """The UI's and HTTP's reading Store used to keep showing the deleted file's rows."""
    pipeline = make_pipeline()
    pipeline.submit(measurements(0, 3), "http").result(10)
    reader = Reader(pipeline.db_path)
    assert len(reader.latest(limit=100)) == 3
    for suffix in ("", "-wal", "-shm"):
        Path(f"{pipeline.db_path}{suffix}").unlink(missing_ok=True)
    pipeline.submit(measurements(100, 2), "http").result(10)
    assert [r["timestamp"] for r in reader.latest(limit=100)] == [
        r["timestamp"] for r in Reader(pipeline.db_path).latest(limit=100)
    ]
    assert len(reader.latest(limit=100)) == 2
    reader.close()


class _FailsOnce:
    """A detector with a bug that shows on one reading (a plug-in detector, say)."""

    def __init__(self, real) -> None:
        self.real, self.failed = real, False

    def update(self, value: float, timestamp: str):
        if not self.failed:
            self.failed = True
            raise ZeroDivisionError("detector bug")
        return self.real.update(value, timestamp)

    def warm(self, values) -> None:
        self.real.warm(values)


def test_writer_survives_an_unexpected_error(make_pipeline) -> None:
    """An exception in the writer used to end its thread: every later batch hung forever."""
    pipeline = make_pipeline()
    pipeline.detectors["fermenter_temp"] = _FailsOnce(pipeline.detectors["fermenter_temp"])
    first = pipeline.submit(measurements(0, 3), "http")
    assert first.result(10).stored == 3  # stored, the failing reading without a verdict
    assert pipeline.submit(measurements(100, 3), "http").result(10).stored == 3
    balanced(pipeline)
    assert len(db_keys(pipeline.db_path)) == 6


@time_limits(tight=0.9, guard=5)  # the bug took 7-8 s
def test_quitting_during_a_lock_is_prompt(tmp_path: Path, limit: float) -> None:
    """Quit during an outage used to wait out a busy timeout per step (7-8 s for headless)."""
    db = tmp_path / "t.db"
    # the default 1 s busy timeout; retries far apart, so stop finds none in progress
    pipeline = Pipeline(load_config(None), db, retry=RetryPolicy(base_delay=30, max_delay=30))
    pipeline.start()
    holder = LockHolder(db, 60)
    try:
        futures = [pipeline.submit(measurements(i * 3, 3), "http") for i in range(3)]
        wait_until(lambda: pipeline.outage, 5)
        futures += [pipeline.submit(measurements(100 + i * 3, 3), "http") for i in range(3)]
        started = time.monotonic()
        pipeline.stop()
        took = time.monotonic() - started
    finally:
        holder.release()
    assert sum(f.result(0).dead_lettered for f in futures) == 18
    assert took < limit, took  # no final attempt into a known outage


def test_the_retry_queue_empties_once_writes_work_while_readings_keep_coming(
    tmp_path: Path,
) -> None:
    """After an outage, with readings arriving every 20 ms: the retry queue drains and stays
    (nearly) empty. Before, each new batch joined the queue behind the retried ones (to keep
    the order) with a fresh backoff, so the queue never emptied: the status line said "retry 3"
    forever, and every reading waited a backoff before its commit."""
    from datetime import UTC, datetime, timedelta

    from sensor_tui.model.readings import format_ts

    config = load_config(None)
    pipeline = Pipeline(config, tmp_path / "r.db", tmp_path / "dl.jsonl")
    pipeline.start(replay=False)
    tag = config.tags[0]
    low, high = tag.normal
    sent = 0

    def send() -> Future:
        nonlocal sent
        sent += 1
        stamp = format_ts(datetime(2026, 1, 5, tzinfo=UTC) + timedelta(seconds=sent))
        reading = {"tag": tag.name, "timestamp": stamp, "value": (low + high) / 2}
        return pipeline.submit([reading], "http")

    try:
        pipeline.set_outage(True)
        for _ in range(5):
            send()
            time.sleep(0.02)
        pipeline.set_outage(False)
        samples = []
        began = time.monotonic()
        while time.monotonic() - began < 3.0:
            send()
            time.sleep(0.02)
            if time.monotonic() - began > 2.0:  # writes have worked for two seconds
                samples.append(pipeline.snapshot().retry_depth)
        assert pipeline.flush(10)
        assert samples and samples.count(0) >= len(samples) / 2, samples
        assert pipeline.snapshot().stored == sent
    finally:
        pipeline.stop()
