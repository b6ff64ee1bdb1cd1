"""The retry thread: failed groups retried with exponential backoff, then dead-lettered."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sensor_tui.batches import Batch
from sensor_tui.readings import Reading
from sensor_tui.storage import Store

if TYPE_CHECKING:
    from sensor_tui.pipeline import Pipeline

log = logging.getLogger(__name__)


class RetryWorker:
    """Retries failed groups with exponential backoff in its own thread and connection.

    All due batches are retried in one transaction, so a long outage costs one attempt per
    backoff step rather than one per batch. After the last attempt (or at shutdown) a batch goes
    to the dead-letter file.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.policy = pipeline.retry_policy
        self._pending: list[Batch] = []
        self._attempting = False
        """True while taken batches are being retried: not pending, not done (issue 5: flush)."""
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="retry", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Make one last attempt, dead-letter the rest, join."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def depth(self) -> int:
        """Readings waiting for a retry."""
        with self._cond:
            return sum(len(batch.readings) for batch in self._pending)

    def add(self, group: list[Batch], shutting_down: bool = False) -> None:
        """Queue failed batches; past the bound (or at shutdown) dead-letter them at once."""
        overflow: list[Batch] = []
        with self._cond:
            room = self.policy.max_queued_readings - sum(len(b.readings) for b in self._pending)
            now = time.monotonic()
            for batch in group:
                if shutting_down or self._stopping or len(batch.readings) > room:
                    overflow.append(batch)
                    continue
                room -= len(batch.readings)
                batch.attempts = max(batch.attempts, 1)
                batch.due = now + self.policy.delay(batch.attempts)
                self._pending.append(batch)
            self._cond.notify_all()
        self._publish_depth()
        if overflow:
            self.pipeline._dead_letter(overflow, "retry queue full or shutting down")

    def keep(self, readings: list[Reading]) -> bool:
        """Hold readings whose sender was already told they failed; False when no room."""
        with self._cond:
            room = self.policy.max_queued_readings - sum(len(b.readings) for b in self._pending)
            if self._stopping or len(readings) > room:
                return False
            batch = Batch(readings, [], attempts=1)
            batch.anomalies.update((r.tag, r.kind or "anomaly") for r in readings if r.is_anomaly)
            batch.due = time.monotonic() + self.policy.max_delay
            self._pending.append(batch)
            self._cond.notify_all()
        self._publish_depth()
        return True

    def wait_empty(self, timeout: float) -> bool:
        """Block until no batch waits for retry."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._attempting:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def _publish_depth(self) -> None:
        self.pipeline.counters.set(retry_depth=self.depth())

    def _take_due(self) -> tuple[list[Batch], bool]:
        with self._cond:
            while True:
                if self._stopping:
                    due, self._pending = self._pending, []
                    self._attempting = bool(due)
                    return due, True
                now = time.monotonic()
                due = [b for b in self._pending if b.due <= now]
                if due:
                    self._pending = [b for b in self._pending if b.due > now]
                    self._attempting = True
                    return due, False
                wait = min((b.due for b in self._pending), default=now + 1.0) - now
                self._cond.wait(max(0.005, wait))

    def _loop(self) -> None:
        store = self.pipeline._new_store()
        while True:
            due, final = self._take_due()
            if due:
                try:
                    self._attempt(store, due, final)
                except Exception:  # a bug must not end retrying nor strand a sender (issue 5)
                    # The writer already handed this group here after an error: dead-letter it
                    # (durable, replayed later) rather than retry a failure that may repeat.
                    log.exception("retry failed on a group; dead-lettering it")
                    self.pipeline._dead_letter(
                        [b for b in due if not b.future.done()], "retry error"
                    )
                finally:
                    with self._cond:
                        self._attempting = False
                        self._cond.notify_all()
            self._publish_depth()
            if final:
                break
        store.close()

    def _attempt(self, store: Store, due: list[Batch], final: bool) -> None:
        pipeline = self.pipeline
        if not (final and pipeline.outage) and pipeline._try_write(store, due):
            return
        reason = pipeline.counters.snapshot().outage_reason or "write failed"
        expired = [b for b in due if final or b.attempts >= self.policy.attempts]
        again = [b for b in due if b not in expired]
        if expired:
            pipeline._dead_letter(expired, reason, keep=not final)
        with self._cond:
            now = time.monotonic()
            for batch in again:
                batch.attempts += 1
                batch.due = now + self.policy.delay(batch.attempts)
            self._pending.extend(again)
