"""The writer thread: the one owner of the write connection, group commit, retries, events.

    senders ── put() ──> queue (bounded) ──> writer: take everything waiting (group commit),
                                              one transaction; failed -> retry schedule
                                              due retries -> one transaction; expired -> dead letter

A small class owning its thread, its queue and its stop marker (`start()` / `close()` /
`join()`). Everything that writes runs here: new batches, due retries (the schedule only keeps
time), dead-letter replays after an outage, events and alarms. So subscribers, told by
`Outcomes`, are called from this one thread.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sensor_tui.model.events import Event
from sensor_tui.pipeline.batches import Batch, PipelineStopped, join_payloads, rows_payload
from sensor_tui.pipeline.detect import DetectionStage
from sensor_tui.pipeline.outcomes import Outcomes
from sensor_tui.pipeline.retry import RetrySchedule
from sensor_tui.pipeline.sidewrites import IDLE_WAKE, SideWrites
from sensor_tui.storage import Store, StoreUnavailable

log = logging.getLogger(__name__)

_STOP = object()


@dataclass(slots=True)
class _Call:
    """Work another thread asks the writer to do on its connection (a dead-letter replay)."""

    fn: Callable[[Store], Any]
    future: Future[Any] = field(default_factory=Future)


class Writer:
    """The writer thread with its queue; see the module docstring."""

    def __init__(
        self,
        new_store: Callable[[], Store],
        detection: DetectionStage,
        outcomes: Outcomes,
        retry: RetrySchedule,
        queue_batches: int = 256,
        group_rows: int = 20_000,
    ) -> None:
        self._new_store = new_store
        self._detection = detection
        self._outcomes = outcomes
        self._retry = retry
        self._counters = outcomes.counters
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_batches)
        self._group_rows = group_rows
        self._closing = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self.side = SideWrites(detection, outcomes.counters)
        """Events, alarms, shelving and alarm notices, written here too."""

    # -- other threads ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread; returns once it has opened its connection (or failed to)."""
        self._thread.start()
        self._ready.wait(10.0)

    @property
    def running(self) -> bool:
        """True from `start` until the thread has finished its last write."""
        return self._thread.is_alive()

    def on_writer_thread(self) -> bool:
        """True when called from the writer thread itself (a subscriber, say)."""
        return threading.current_thread() is self._thread

    def put(self, item: Batch, block: bool = True) -> None:
        """Queue a batch (or an empty flush marker); raises queue.Full when not blocking."""
        self._queue.put(item, block=block)

    def call(self, fn: Callable[[Store], Any]) -> Future[Any]:
        """Run `fn(store)` on the writer thread after what is queued; the future gets the result."""
        work = _Call(fn)
        self._queue.put(work)
        return work.future

    def add_event(self, event: Event) -> None:
        """Store a fault or outage event with the next write; wakes the writer."""
        self.side.add_event(event)
        if self.running and not self._closing.is_set():
            with contextlib.suppress(queue.Full):  # a full queue wakes the writer anyway
                self._queue.put_nowait(None)

    def close(self) -> None:
        """Write what is queued, dead-letter what cannot be written, then end the thread.

        The caller guarantees nothing is put after this (the pipeline's submit lock).
        """
        self._closing.set()
        self._queue.put(_STOP)

    def join(self, timeout: float) -> None:
        """Wait for the thread to finish."""
        if self._thread.ident is not None:
            self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        store = self._new_store()
        try:
            store.open()  # now, not at the first write, which would wait for the GIL mid-import
        except StoreUnavailable as exc:
            log.warning("writer cannot open the database yet: %s", exc)
        self._ready.set()
        stopping = False
        while not stopping:
            items, stopping = self._take_group()
            group = [item for item in items if isinstance(item, Batch)]
            try:
                self._write_group(store, group)
            except Exception:  # a bug here must not strand every later batch
                log.exception("writer failed on a group; sending it to retry")
                self._counters.add(write_errors=1)
                self._schedule(
                    [b for b in group if b.readings and not b.future.done() and not b.attempts],
                    "writer error",
                )  # (a batch with attempts is already in the retry schedule)
            for batch in group:
                if not batch.readings:
                    batch.resolve()  # a flush marker: everything before it has an outcome
            for item in items:
                if isinstance(item, _Call):
                    self._run_call(store, item)
            if not stopping:
                self._retry_due(store, self._retry.take_due(), final=False)
            self.side.expire_shelves(store)
            self.side.publish_alarms(store)
        try:
            self._retry_due(store, self._retry.take_all(), final=True)
            self.side.write_events(store)
            self._detection.close_all()
            self.side.write_alarms(store)
            self.side.publish_alarms(store)
        finally:  # even after a bug: close the connection, answer late flushes
            store.close()
            self._drain_after_stop()

    def _take_group(self) -> tuple[list[Any], bool]:
        """Block until an item arrives or a retry is due, then take whatever else waits
        (group commit), up to a bound of rows."""
        due = self._retry.seconds_until_due()
        try:
            items = [self._queue.get(timeout=IDLE_WAKE if due is None else min(due, IDLE_WAKE))]
        except queue.Empty:
            return [], False
        rows = 0
        while items[-1] is not _STOP and rows < self._group_rows:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
            if isinstance(items[-1], Batch):
                rows += len(items[-1].readings)
        return items, any(item is _STOP for item in items)

    def _write_group(self, store: Store, group: list[Batch]) -> None:
        if self.side.write_events(store) and self._outcomes.dead_letter.pending():
            # An event was written, so writes work: with no readings flowing (--no-sim, quiet
            # gateways) this is the first chance to drain what an outage dead-lettered.
            self._replay_after_outage(store)
        batches = [batch for batch in group if batch.readings]
        self._observe_units(batches)
        if batches and (
            self._retry.depth() > 0
            or self._quitting_in_outage()
            or not self._try_write(store, batches)
        ):
            self._schedule(batches, "retry queue full or shutting down")
        self.side.write_alarms(store)

    def _observe_units(self, batches: list[Batch]) -> None:
        """Judge the unit observations of new batches (once: retries are not observed again);
        a bug there costs unit verdicts, never readings."""
        try:
            for batch in batches:
                self._detection.units.observe(batch.readings)
        except Exception:
            log.exception("unit stage failed on a group; its unit verdicts are lost")

    def _schedule(self, batches: list[Batch], reason: str) -> None:
        """Hand failed batches to the retry schedule; dead-letter what it refuses."""
        overflow = self._retry.add(batches, shutting_down=self._closing.is_set())
        self._outcomes.dead_letter_batches(overflow, reason)

    def _quitting_in_outage(self) -> bool:
        """Stopping while writes fail: dead-letter at once instead of waiting out one more busy
        timeout per group; quitting during an outage took 8 s before."""
        return self._closing.is_set() and self._counters.snapshot().outage

    def _try_write(self, store: Store, group: list[Batch]) -> bool:
        """One transaction for the whole group; True when committed."""
        payloads = [batch.payload or rows_payload(batch.readings) for batch in group]
        payload = payloads[0] if len(payloads) == 1 else join_payloads(payloads)
        changed, alarms = self._detection.take_alarms()
        units = self._detection.units.take()
        try:
            stored = store.write_payload(payload, alarms, units)
        except StoreUnavailable as exc:
            self._detection.requeue_alarms(changed)
            self._detection.units.requeue(units)
            self._outcomes.write_failed(str(exc))
            return False
        except Exception:  # rolled back by the store; the alarms are the likelier culprit
            if not alarms:
                raise  # the caller retries the group once, then dead-letters it
            log.exception("write failed on an unexpected error; storing the readings alone")
            self._counters.add(write_errors=1)
            try:
                stored = store.write_payload(payload)
            except StoreUnavailable as exc:
                self._detection.requeue_alarms(changed)
                self._outcomes.write_failed(str(exc))
                return False
            self.side.write_apart(store, alarms)
        self._outcomes.committed(group, stored)
        self._retry.hurry()  # writes work: what waits for a retry goes next, not after a backoff
        if self._outcomes.dead_letter.pending():
            self._replay_after_outage(store)
        return True

    def _retry_due(self, store: Store, due: list[Batch], final: bool) -> None:
        """Retry what the schedule handed back, in one transaction; expired ones dead-letter."""
        if not due:
            return
        again: list[Batch] = []
        try:
            if not (final and self._counters.snapshot().outage) and self._try_write(store, due):
                return
            reason = self._counters.snapshot().outage_reason or "write failed"
            expired = [b for b in due if final or b.attempts >= self._retry.policy.attempts]
            again = [b for b in due if b not in expired]
            self._outcomes.dead_letter_batches(expired, reason, keep=not final)
        except Exception:  # a bug must not end retrying nor strand a sender
            # This group may already be here after an error: dead-letter it (durable, replayed
            # later) rather than retry a failure that may repeat.
            log.exception("retry failed on a group; dead-lettering it")
            again = []
            self._outcomes.dead_letter_batches(
                [b for b in due if not b.future.done()], "retry error"
            )
        finally:
            self._retry.done(again)

    def _replay_after_outage(self, store: Store) -> None:
        """Writes work again: store what the outage dead-lettered, so its count drains."""
        try:
            self._outcomes.replay(store)
        except (StoreUnavailable, OSError) as exc:
            log.warning("dead-letter replay after outage failed: %s", exc)

    def _run_call(self, store: Store, work: _Call) -> None:
        try:
            work.future.set_result(work.fn(store))
        except Exception as exc:
            work.future.set_exception(exc)

    def _drain_after_stop(self) -> None:
        """Answer anything that arrived after the stop marker (a late flush or replay request)."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Batch):
                item.resolve()  # only flush markers: the submit lock keeps readings out
            elif isinstance(item, _Call):
                item.future.set_exception(PipelineStopped("the pipeline is stopped"))
