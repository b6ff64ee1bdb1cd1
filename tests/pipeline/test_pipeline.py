"""The pipeline: validate, detect, group commit, retry, dead letter, replay."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlite_utils import Database

from sensor_tui.model.events import Event
from sensor_tui.model.tags import Config, parse_config
from sensor_tui.pipeline import Pipeline, PipelineStopped, RetryPolicy, StoredBatch
from tests.support.timing import time_limits
from tests.support.waiting import wait_until

ZSCORE = parse_config({"detector": "zscore"})


def measurement(second: int, tag: str = "fermenter_ph", value: float = 7.0) -> dict:
    return {
        "timestamp": f"2026-01-01T00:{second // 60:02d}:{second % 60:02d}Z",
        "tag": tag,
        "value": value,
    }


def count(db_path: Path) -> int:
    return Database(db_path)["measurements"].count


def audit(pipeline: Pipeline) -> None:
    """Every reading has exactly one outcome."""
    s = pipeline.snapshot()
    assert s.received == s.stored + s.duplicates + s.rejected_total + s.dead_lettered


def test_batch_is_committed_before_its_future_resolves(pipeline: Pipeline, db_path: Path) -> None:
    items = [measurement(i) for i in range(10)]
    items[3] = {**items[3], "value": "NaN"}
    items[7] = {**items[7], "tag": "nope"}
    items.append("not an object")
    result = pipeline.submit(items, "http").result(5)
    assert result.accepted == 8 and result.stored == 8
    assert result.rejected == [
        (3, "value is not finite"),
        (7, "unknown tag"),
        (10, "measurement is not an object"),
    ]
    assert count(db_path) == 8  # already there: the future resolves after COMMIT
    snap = pipeline.snapshot()
    assert snap.rejected == {
        "value is not finite": 1,
        "unknown tag": 1,
        "measurement is not an object": 1,
    }
    audit(pipeline)


def test_all_rejected_batch_resolves_at_once(pipeline: Pipeline) -> None:
    result = pipeline.submit([{"tag": "x", "value": 1}], "http").result(1)
    assert (result.accepted, result.rejected) == (0, [(0, "unknown tag")])


def test_duplicates_are_stored_once_and_counted(pipeline: Pipeline, db_path: Path) -> None:
    items = [measurement(i) for i in range(5)]
    pipeline.submit(items, "http").result(5)
    pipeline.submit(items, "http").result(5)
    assert count(db_path) == 5
    assert (pipeline.snapshot().stored, pipeline.snapshot().duplicates) == (5, 5)
    audit(pipeline)


def test_concurrent_senders_are_group_committed(pipeline: Pipeline, db_path: Path) -> None:
    futures: list[Future] = []
    lock = threading.Lock()

    def sender(offset: int) -> None:
        for b in range(20):
            f = pipeline.submit(
                [measurement(offset * 1000 + b * 10 + i) for i in range(10)], "http"
            )
            with lock:
                futures.append(f)

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(f.result(10).stored for f in futures) == 800
    assert count(db_path) == 800


def test_detection_is_stored_with_the_reading(db_path: Path) -> None:
    pipeline = Pipeline(ZSCORE, db_path)  # the seed's detector: no warm-up beyond 10 values
    pipeline.start()
    items = [measurement(i, value=7.0 + 0.01 * (i % 5)) for i in range(60)]
    items.append(measurement(60, value=13.0))
    result = pipeline.submit(items, "http").result(5)
    assert result.anomalies >= 1
    row = next(
        Database(db_path).query(
            "select * from anomalies where timestamp like '2026-01-01T00:01:00%'"
        )
    )
    assert row["value"] == 13.0 and row["kind"] and row["score"] > 0.75  # |z| > 3
    assert pipeline.snapshot().anomalies_total == result.anomalies
    pipeline.stop()


def test_subscribers_see_each_commit(pipeline: Pipeline) -> None:
    seen: list[StoredBatch] = []
    pipeline.subscribe(seen.append)
    pipeline.submit([measurement(i) for i in range(3)], "http").result(5)
    assert [len(b.readings) for b in seen] == [3] and seen[0].source == "http"


def test_short_outage_is_retried_and_stored(config: Config, db_path: Path) -> None:
    pipe = Pipeline(
        config, db_path, retry=RetryPolicy(attempts=20, base_delay=0.02, max_delay=0.05)
    )
    pipe.start()
    try:
        pipe.set_outage(True)
        future = pipe.submit([measurement(i) for i in range(5)], "http")
        wait_until(lambda: pipe.snapshot().retry_depth > 0, 10)
        snap = pipe.snapshot()
        assert snap.retry_depth == 5 and snap.outage and snap.write_failures >= 1
        assert not future.done()  # not acknowledged while only in memory
        pipe.set_outage(False)
        assert future.result(5).stored == 5
        assert count(db_path) == 5
        snap = pipe.snapshot()
        assert (snap.retry_depth, snap.dead_lettered, snap.outage) == (0, 0, False)
    finally:
        pipe.stop()


def test_real_lock_is_retried_with_backoff(config: Config, db_path: Path) -> None:
    pipe = Pipeline(
        config, db_path, busy_ms=20, retry=RetryPolicy(attempts=12, base_delay=0.05, max_delay=0.2)
    )
    pipe.start()
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        future = pipe.submit([measurement(i) for i in range(4)], "http")
        wait_until(lambda: pipe.snapshot().write_failures >= 2, 10)
        assert not future.done()
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    try:
        assert future.result(5).stored == 4
        assert pipe.snapshot().dead_lettered == 0
    finally:
        pipe.stop()
    assert count(db_path) == 4


def test_long_outage_dead_letters_then_drains(pipeline: Pipeline, db_path: Path) -> None:
    pipeline.set_outage(True)
    result = pipeline.submit([measurement(i) for i in range(6)], "http").result(5)
    assert (result.dead_lettered, result.stored) == (6, 0)
    lines = pipeline.dead_letter.path.read_text().splitlines()
    assert len(lines) == 6 and json.loads(lines[0])["error"]
    snap = pipeline.snapshot()
    assert (snap.dead_lettered, snap.dead_letter_pending) == (6, 6)
    audit(pipeline)
    pipeline.set_outage(False)
    pipeline.submit([measurement(100)], "http").result(5)  # first good write replays
    assert pipeline.flush(5)
    assert count(db_path) == 7
    assert pipeline.snapshot().dead_letter_pending == 0
    assert pipeline.dead_letter.path.read_text() == ""


def test_dead_letter_is_replayed_once_at_next_start(
    config: Config, fast_retry: RetryPolicy, db_path: Path
) -> None:
    first = Pipeline(config, db_path, retry=fast_retry)
    first.start()
    first.set_outage(True)
    first.submit([measurement(i) for i in range(8)], "http").result(5)
    first.stop()
    assert count(db_path) == 0
    dl = first.dead_letter.path
    dl.write_text(dl.read_text() * 2)  # every line twice: replay must still store once
    second = Pipeline(config, db_path, retry=fast_retry)
    result = second.start()
    second.stop()
    assert (result.stored, result.duplicates, result.bad_lines) == (8, 8, 0)
    assert count(db_path) == 8
    sources = {row["source"] for row in Database(db_path)["measurements"].rows}
    assert sources == {"replay"}
    third = Pipeline(config, db_path, retry=fast_retry)
    assert third.start().stored == 0
    third.stop()


def test_bad_dead_letter_lines_are_moved_aside(
    config: Config, fast_retry: RetryPolicy, db_path: Path
) -> None:
    dl = db_path.with_name("failed_measurements.jsonl")
    good = json.dumps(
        {
            "timestamp": "2026-01-01T00:00:01.000000Z",
            "tag": "fermenter_ph",
            "value": 7.1,
            "is_anomaly": True,
            "score": 5.0,
            "kind": "spike",
        }
    )
    dl.write_text(
        "\n".join(
            [
                good,
                "{not json",
                "[1, 2]",
                json.dumps({"tag": "fermenter_ph", "value": "x", "timestamp": 1}),
                good,
                '{"timestamp": "2026-01-01T00:00:02Z", "tag": "ferm',
            ]
        )
    )
    pipe = Pipeline(config, db_path, retry=fast_retry)
    result = pipe.start()
    pipe.stop()
    assert (result.stored, result.duplicates, result.bad_lines) == (1, 1, 4)
    bad = dl.with_name(dl.name + ".bad").read_text().splitlines()
    assert len(bad) == 4 and bad[0] == "{not json"
    assert dl.read_text() == ""
    row = next(Database(db_path)["measurements"].rows)
    assert (row["is_anomaly"], row["kind"], row["score"]) == (1, "spike", 5.0)
    assert pipe.snapshot().dead_letter_bad == 4


@time_limits(tight=5, guard=30)  # retrying on would take 50 tries of up to 30 s
def test_stop_during_outage_flushes_to_dead_letter(
    config: Config, db_path: Path, limit: float
) -> None:
    pipe = Pipeline(config, db_path, retry=RetryPolicy(attempts=50, base_delay=1.0))
    pipe.start()
    pipe.set_outage(True)
    futures = [pipe.submit([measurement(b * 10 + i) for i in range(10)], "http") for b in range(5)]
    wait_until(lambda: pipe.snapshot().write_failures >= 1, 10)
    started = time.monotonic()
    pipe.stop()
    assert time.monotonic() - started < limit
    assert sum(f.result(0).dead_lettered for f in futures) == 50
    assert len(pipe.dead_letter.path.read_text().splitlines()) == 50
    audit(pipe)
    with pytest.raises(PipelineStopped):
        pipe.submit([measurement(1)], "http")


def test_events_and_outages_are_recorded(pipeline: Pipeline, db_path: Path) -> None:
    pipeline.record_event(
        Event("drift", start="2026-01-01T00:00:00.000000Z", tag="fermenter_ph", source="key")
    )
    pipeline.set_outage(True)
    pipeline.set_outage(False)
    pipeline.submit([measurement(1)], "http").result(5)
    assert pipeline.flush(5)
    rows = list(Database(db_path)["events"].rows)
    kinds = {row["kind"]: row for row in rows}
    assert set(kinds) == {"drift", "outage"}
    assert kinds["outage"]["start"] and kinds["outage"]["end"]


def test_detectors_are_warmed_from_history(db_path: Path) -> None:
    first = Pipeline(ZSCORE, db_path)
    first.start()
    first.submit([measurement(i, value=7.0 + 0.01 * (i % 3)) for i in range(60)], "http").result(5)
    first.stop()
    second = Pipeline(ZSCORE, db_path)
    second.start()
    result = second.submit([measurement(61, value=12.0)], "http").result(5)
    second.stop()
    assert result.anomalies == 1  # no warm-up blind spot after a restart


def test_a_bug_in_the_writer_dead_letters_instead_of_stranding_senders(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sensor_tui.storage import Store

    def broken(self: Store, payload: str) -> int:
        raise RuntimeError("injected bug")

    monkeypatch.setattr(Store, "write_payload", broken)
    result = pipeline.submit([measurement(1), measurement(2)], "http").result(5)
    assert result.dead_lettered == 2
    monkeypatch.undo()
    assert pipeline.submit([measurement(3)], "http").result(5).stored == 1  # writer still alive


def test_dead_letter_drains_when_the_outage_ends_without_traffic(
    pipeline: Pipeline, db_path: Path
) -> None:
    pipeline.set_outage(True)
    assert pipeline.submit([measurement(i) for i in range(4)], "http").result(5).dead_lettered
    pipeline.set_outage(False)  # no reading follows (e.g. --no-sim and a quiet gateway)
    assert pipeline.flush(5)
    assert count(db_path) == 4
    assert pipeline.snapshot().dead_letter_pending == 0


def test_full_queue_with_alarms_does_not_deadlock(db_path: Path) -> None:
    """A sender waiting for room in the queue must not hold a lock the writer needs.

    Alarms are fed by senders and written by the writer; with both on one lock, a sender blocked
    on a full queue while holding it stopped the writer for good.
    """
    pipe = Pipeline(ZSCORE, db_path, queue_batches=1, group_rows=1)
    pipe.start()
    futures = []
    sender = threading.Thread(
        target=lambda: futures.extend(
            pipe.submit(
                [measurement(b * 20 + i, value=7.0 + 0.01 * (i % 3)) for i in range(19)]
                + [measurement(b * 20 + 19, value=13.0)],
                "http",
            )
            for b in range(40)
        )
    )
    sender.start()
    sender.join(20)
    assert not sender.is_alive()
    assert sum(f.result(10).stored for f in futures) == 800
    assert pipe.flush(5)
    pipe.stop()
    assert Database(db_path)["alarms"].count > 0
