"""Readings are told to "accepted" subscribers before their commit, and during an outage too
(the charts keep moving while the database is down)."""

from __future__ import annotations

import threading

from sensor_tui.pipeline import Pipeline, StoredBatch
from tests.conftest import FAST_RETRY, recent_start
from tests.support.waiting import wait_until


def measurement(i: int) -> dict[str, object]:
    start = recent_start(600)
    return {"tag": "fermenter_ph", "value": 7.0, "timestamp": f"{start:%Y-%m-%dT%H:%M}:{i:02d}Z"}


def test_accepted_is_told_before_stored_and_through_an_outage(config, db_path) -> None:
    pipeline = Pipeline(config, db_path, retry=FAST_RETRY)
    order: list[tuple[str, str]] = []
    lock = threading.Lock()

    def on(kind: str):
        def callback(batch: StoredBatch) -> None:
            with lock:
                order.extend((kind, r.timestamp) for r in batch.readings)

        return callback

    pipeline.subscribe(on("stored"))
    pipeline.subscribe_accepted(on("accepted"))
    pipeline.start()
    try:
        pipeline.submit([measurement(i) for i in range(5)], "http").result(5)
        with lock:
            for stamp in {t for _, t in order}:
                kinds = [k for k, t in order if t == stamp]
                assert kinds == ["accepted", "stored"], stamp
        pipeline.set_outage(True)
        future = pipeline.submit([measurement(i) for i in range(10, 15)], "http")
        with lock:
            accepted = [t for k, t in order if k == "accepted"]
        assert len(accepted) == 10  # told at once, although nothing can be committed
        assert not future.done() or future.result().stored == 0
        pipeline.set_outage(False)
        future.result(10)
        wait_until(lambda: sum(k == "stored" for k, _ in order) == 10, 10)
    finally:
        pipeline.stop()
