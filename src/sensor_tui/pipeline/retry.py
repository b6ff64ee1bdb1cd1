"""The retry schedule: failed batches wait here, with exponential backoff, for the writer.

It only keeps time. The writer thread hands it the batches a write failed for, asks how long it
may block before the next one is due, takes the due ones back and retries them itself, on its one
write connection. So there is one writer, and subscribers are called from one thread (
this used to be a second thread writing on a second connection).

All due batches are retried in one transaction, so a long outage costs one attempt per backoff
step rather than one per batch. After the last attempt (or at shutdown) the writer dead-letters a
batch.
"""

from __future__ import annotations

import logging
import threading
import time

from sensor_tui.model.counters import Counters
from sensor_tui.model.faults import FaultKind
from sensor_tui.model.readings import Reading
from sensor_tui.pipeline.batches import Batch, RetryPolicy
from sensor_tui.storage import Store, StoreUnavailable

log = logging.getLogger(__name__)


class RetrySchedule:
    """Batches waiting for their next attempt, bounded; thread-safe, never writes."""

    def __init__(self, policy: RetryPolicy, counters: Counters) -> None:
        self.policy = policy
        self.counters = counters
        self._pending: list[Batch] = []
        self._attempting: list[Batch] = []
        """Taken by the writer and being retried: still counted (depth, flush) until done."""
        self._cond = threading.Condition()
        self._closed = False

    def depth(self) -> int:
        """Readings waiting for a retry, including those being retried right now."""
        with self._cond:
            return self._depth()

    def _depth(self) -> int:
        return sum(len(b.readings) for b in self._pending) + sum(
            len(b.readings) for b in self._attempting
        )

    def add(self, group: list[Batch], shutting_down: bool = False) -> list[Batch]:
        """Schedule failed batches; returns those to dead-letter now (no room, shutting down)."""
        overflow: list[Batch] = []
        with self._cond:
            room = self.policy.max_queued_readings - self._depth()
            now = time.monotonic()
            for batch in group:
                if shutting_down or self._closed or len(batch.readings) > room:
                    overflow.append(batch)
                    continue
                room -= len(batch.readings)
                batch.attempts = max(batch.attempts, 1)
                batch.due = now + self.policy.delay(batch.attempts)
                self._pending.append(batch)
            self._changed()
        return overflow

    def keep(self, readings: list[Reading]) -> bool:
        """Hold readings whose sender was already told they failed; False when no room."""
        with self._cond:
            room = self.policy.max_queued_readings - self._depth()
            if self._closed or len(readings) > room:
                return False
            batch = Batch(readings, [], attempts=1)
            batch.anomalies.update(
                (r.tag, r.kind or FaultKind.ANOMALY) for r in readings if r.is_anomaly
            )
            batch.due = time.monotonic() + self.policy.max_delay
            self._pending.append(batch)
            self._changed()
        return True

    def seconds_until_due(self) -> float | None:
        """How long the writer may block before a batch is due; None when none waits."""
        with self._cond:
            if not self._pending:
                return None
            return max(0.0, min(b.due for b in self._pending) - time.monotonic())

    def take_due(self) -> list[Batch]:
        """The batches due now, for the writer to retry (counted until `done`)."""
        with self._cond:
            now = time.monotonic()
            due = [b for b in self._pending if b.due <= now]
            if due:
                self._pending = [b for b in self._pending if b.due > now]
                self._attempting.extend(due)
            return due

    def hurry(self) -> None:
        """A write just committed: every waiting batch is due now. The backoff is for a failing
        database; kept after it recovered, batches that keep arriving would each wait it out
        behind the queue (to stay in order), and the queue would never empty."""
        with self._cond:
            now = time.monotonic()
            for batch in self._pending:
                batch.due = min(batch.due, now)

    def take_all(self) -> list[Batch]:
        """Shutting down: every waiting batch, for one last attempt; later adds are refused."""
        with self._cond:
            self._closed = True
            due, self._pending = self._pending, []
            self._attempting.extend(due)
            return due

    def done(self, again: list[Batch]) -> None:
        """The writer finished retrying what it took; `again` failed and waits for another try."""
        with self._cond:
            self._attempting.clear()
            now = time.monotonic()
            for batch in again:
                batch.attempts += 1
                batch.due = now + self.policy.delay(batch.attempts)
            self._pending.extend(again)
            self._changed()

    def wait_empty(self, timeout: float) -> bool:
        """Block until no batch waits for or is in a retry (used by `Pipeline.flush`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._attempting:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _changed(self) -> None:
        """Under the lock: publish the depth gauge and wake `wait_empty`."""
        self.counters.set(retry_depth=self._depth())
        self._cond.notify_all()


def open_with_retry(store: Store, policy: RetryPolicy) -> Store:
    """Open the database, waiting out a short lock (another process, a restart) with the retry
    policy's backoff rather than failing the start at once; a bad path or a corrupt file fails
    at once."""
    for attempt in range(1, policy.attempts):
        try:
            store.open()
            return store
        except StoreUnavailable as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            log.warning("cannot open the database yet (%s); retrying", exc)
            time.sleep(policy.delay(attempt))
    store.open()
    return store
