"""One writer: retries, replays and subscribers all run on the writer thread.

The retry worker used to write on its own connection while the writer wrote too, and called
subscribers from a second thread; and the replay path called subscribers unguarded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline, RetryPolicy, StoredBatch
from sensor_tui.storage import Store
from tests.support.chaos import LockHolder
from tests.support.timing import time_limits
from tests.support.waiting import wait_until

RETRY = RetryPolicy(attempts=50, base_delay=0.02, max_delay=0.05)


def measurement(second: int) -> dict:
    return {"timestamp": 1767225600 + second, "tag": "fermenter_ph", "value": 7.0}


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of the thread behind every write to SQLite (the real writes still happen)."""
    threads: list[str] = []
    for name in ("write_payload", "write_rows", "upsert_event", "upsert_alarms"):
        real = getattr(Store, name)

        def recording(self: Store, *args: object, _real=real, **kwargs: object) -> object:
            threads.append(threading.current_thread().name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Store, name, recording)
    yield threads


def test_retries_and_replays_write_on_the_writer_thread(
    config: Config, db_path: Path, writes: list[str]
) -> None:
    pipe = Pipeline(config, db_path, retry=RetryPolicy(attempts=3, base_delay=0.02))
    pipe.start()
    seen: list[tuple[str, str]] = []
    pipe.subscribe(lambda b: seen.append((b.source, threading.current_thread().name)))
    try:
        pipe.set_outage(True)  # a write, retries, then the dead letter
        assert pipe.submit([measurement(i) for i in range(5)], "http").result(5).dead_lettered
        pipe.set_outage(False)  # the outage event's write replays the dead letter
        assert pipe.submit([measurement(10 + i) for i in range(3)], "http").result(5).stored
        assert pipe.flush(5)
        with pipe.dead_letter.path.open("a") as handle:  # lines a user put back by hand
            handle.writelines(json.dumps(measurement(20 + i)) + "\n" for i in range(2))
        replayed = pipe.replay_dead_letter()  # asked from this thread, done by the writer
        assert pipe.flush(5)
    finally:
        pipe.stop()
    assert replayed.stored == 2
    snap = pipe.snapshot()
    assert (snap.stored, snap.dead_letter_pending) == (10, 0) and snap.write_failures >= 2
    assert writes and set(writes) == {"writer"}, writes
    assert {source for source, _ in seen} == {"http", "replay"}
    assert {thread for _, thread in seen} == {"writer"}


def test_a_failing_subscriber_costs_nothing_on_either_path(config: Config, db_path: Path) -> None:
    """Commits and replays go through the one guarded fan-out: the next subscriber still runs."""
    pipe = Pipeline(config, db_path, retry=RetryPolicy(attempts=1, base_delay=0.01))
    pipe.start()
    seen: list[StoredBatch] = []

    def broken(batch: StoredBatch) -> None:
        raise RuntimeError("subscriber bug")

    pipe.subscribe(broken)
    pipe.subscribe(seen.append)
    try:
        pipe.set_outage(True)
        assert pipe.submit([measurement(i) for i in range(4)], "http").result(5).dead_lettered == 4
        pipe.set_outage(False)
        assert pipe.submit([measurement(100)], "http").result(5).stored == 1  # then replays
        assert pipe.flush(5)
        wait_until(lambda: pipe.snapshot().dead_letter_pending == 0, 5)
    finally:
        pipe.stop()
    assert sorted(b.source for b in seen) == ["http", "replay"]
    assert sum(len(b.readings) for b in seen) == 5


def test_retry_depth_counts_the_batch_being_retried(config: Config, db_path: Path) -> None:
    """During a retry (here each waits out a real lock for 0.2 s) the gauge still counts the
    batch, so the outage flag is not cleared under it and new batches queue behind it."""
    pipe = Pipeline(config, db_path, busy_ms=200, retry=RETRY)
    pipe.start()
    holder = LockHolder(db_path, 30)
    depths: list[int] = []
    try:
        future = pipe.submit([measurement(i) for i in range(6)], "http")
        wait_until(lambda: pipe.snapshot().retry_depth == 6, 5)
        deadline = time.monotonic() + 10
        while pipe.snapshot().write_failures < 4 and time.monotonic() < deadline:
            depths.append(pipe.snapshot().retry_depth)
            time.sleep(0.01)
        failures = pipe.snapshot().write_failures
    finally:
        holder.release()
    try:
        assert future.result(5).stored == 6
    finally:
        pipe.stop()
    assert failures >= 4  # the samples spanned retries in progress (0.2 s each)
    assert set(depths) == {6}, depths
    assert pipe.snapshot().retry_depth == 0


def test_replay_at_start_runs_on_the_writer_thread(
    config: Config, db_path: Path, writes: list[str]
) -> None:
    db_path.with_name("failed_measurements.jsonl").write_text(
        "".join(json.dumps(measurement(i)) + "\n" for i in range(3))
    )
    pipe = Pipeline(config, db_path)
    seen: list[tuple[str, str]] = []
    pipe.subscribe(lambda b: seen.append((b.source, threading.current_thread().name)))
    result = pipe.start()
    pipe.stop()
    assert result is not None and result.stored == 3
    assert seen == [("replay", "writer")]
    assert set(writes) == {"writer"}


@time_limits(tight=2, guard=4.5)  # a hung flush waits out its 5 s
def test_flush_and_replay_after_stop_do_not_hang(
    config: Config, db_path: Path, limit: float
) -> None:
    pipe = Pipeline(config, db_path)
    pipe.start()
    assert pipe.submit([measurement(1)], "http").result(5).stored == 1
    pipe.stop()
    started = time.monotonic()
    assert pipe.flush(5)
    pipe.dead_letter.path.write_text(json.dumps(measurement(2)) + "\n")
    assert pipe.replay_dead_letter().stored == 1  # stopped: on its own connection
    assert time.monotonic() - started < limit
