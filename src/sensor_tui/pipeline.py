"""The one ingest pipeline every source uses: validate, detect, store, retry, dead-letter.

    sources ── submit() ──> ingest queue ──> writer thread: detect, group commit ──> subscribers
                 (validate)    (bounded)          │ write failed
                                                  v
                                       retry thread: backoff ──> dead-letter file (fsync)

`submit` returns a Future that resolves with a `BatchResult` only once the batch's readings are
committed to SQLite or fsynced to the dead-letter file; that is the durability rule HTTP answers
by. Detection runs just before a batch enters the queue, under one lock with the enqueue, so each
tag's detector sees readings in exactly the order the writer commits them; doing it there rather
than in the writer lets an import detect chunk N+1 while SQLite (outside the GIL) inserts chunk N.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sensor_tui.alarms import Alarm, AlarmTracker
from sensor_tui.batches import (
    Batch,
    BatchResult,
    NotDurable,
    PipelineStopped,
    RetryPolicy,
    StoredBatch,
    Subscriber,
    iter_groups,
    join_payloads,
    rows_payload,
)
from sensor_tui.counters import Counters, Snapshot
from sensor_tui.deadletter import DeadLetter, ReplayResult
from sensor_tui.detection import Detector, make_detector
from sensor_tui.readings import Reading, Rejected, Validator, now_ts
from sensor_tui.retry import RetryWorker
from sensor_tui.simulator import Event
from sensor_tui.storage import OutageSwitch, Reader, Store, StoreUnavailable
from sensor_tui.tags import Config

log = logging.getLogger(__name__)

WARM_HISTORY = 2000
"""Readings per tag fed to a detector at start, so a restart has no warm-up blind spot (the
robust detector's noise scale spans about 2,000 readings; a few ms per tag at start)."""


_STOP = object()


class Pipeline:
    """Owns the writer and retry threads, the detectors, the counters and the dead-letter file."""

    def __init__(
        self,
        config: Config,
        db_path: str | Path,
        dead_letter_path: str | Path | None = None,
        retry: RetryPolicy | None = None,
        queue_batches: int = 256,
        group_rows: int = 20_000,
        busy_ms: int = 1000,
    ) -> None:
        self.config = config
        self.db_path = Path(db_path)
        dl = dead_letter_path or self.db_path.with_name("failed_measurements.jsonl")
        self.dead_letter = DeadLetter(dl)
        self.retry_policy = retry or RetryPolicy()
        self.counters = Counters()
        self.outage_switch = OutageSwitch()
        self.validator = Validator(config)
        self.detectors: dict[str, Detector] = {t.name: make_detector(t) for t in config.tags}
        self.alarms = AlarmTracker()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_batches)
        self._group_rows = group_rows
        self._busy_ms = busy_ms
        self._subscribers: list[Subscriber] = []
        self._accepted_subscribers: list[Subscriber] = []
        self._retry = RetryWorker(self)
        self._writer: threading.Thread | None = None
        self._accepting = False
        self._submit_lock = threading.Lock()
        """Makes "still accepting?" and the enqueue one step, so no batch lands behind _STOP."""
        self._events: list[Event] = []
        self._events_lock = threading.Lock()
        self._outage_event: Event | None = None
        self._alarms_lock = threading.Lock()
        self._writer_ready = threading.Event()

    # -- life cycle ------------------------------------------------------------------------

    def start(self, replay: bool = True) -> ReplayResult | None:
        """Open the database, warm the detectors, replay the dead-letter file, start threads.

        Raises StoreUnavailable when the database cannot be opened at all.
        """
        store = self._open_with_retry()
        reader = Reader(self.db_path, self._busy_ms)
        try:
            for name, detector in self.detectors.items():
                detector.warm(reader.recent_values(name, WARM_HISTORY))
            result = self._replay_at_start(store) if replay else None
        finally:
            reader.close()
            store.close()  # the writer and retry threads open their own connections
        self._refresh_dead_letter_gauges()
        self._accepting = True
        self._writer = threading.Thread(target=self._write_loop, name="writer", daemon=True)
        self._writer.start()
        self._writer_ready.wait(10.0)
        self._retry.start()
        return result

    def _open_with_retry(self) -> Store:
        """Open the database, waiting out a short lock (another process, a restart) with the
        retry policy's backoff rather than failing the start at once (issue 5)."""
        store = self._new_store()
        for attempt in range(1, self.retry_policy.attempts):
            try:
                store.open()
                return store
            except StoreUnavailable as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise  # a bad path or a corrupt file: say so at once
                log.warning("cannot open the database yet (%s); retrying", exc)
                time.sleep(self.retry_policy.delay(attempt))
        store.open()
        return store

    def _replay_at_start(self, store: Store) -> ReplayResult | None:
        """Replay the dead-letter file; a locked or failing database must not stop the start.

        The lines stay in the file and the writer replays them after its first commit (issue 5).
        """
        try:
            return self.replay_dead_letter(store)
        except (StoreUnavailable, OSError) as exc:
            log.warning("dead-letter replay at start failed, will retry after a write: %s", exc)
            return None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting, write what is queued, dead-letter what cannot be written, join."""
        with self._submit_lock:
            if not self._accepting:
                return
            self._accepting = False
            self._queue.put(_STOP)
        if self._writer is not None:
            self._writer.join(timeout)
        self._retry.stop(timeout)
        self._refresh_dead_letter_gauges()

    def _new_store(self) -> Store:
        return Store(self.db_path, self.config, self.outage_switch, self._busy_ms)

    # -- sources ---------------------------------------------------------------------------

    def submit(self, measurements: Sequence[Any], source: str) -> Future[BatchResult]:
        """Validate JSON-style measurements and queue the good ones; bad ones get reasons."""
        readings: list[Reading] = []
        rejected: list[tuple[int, str]] = []
        for index, item in enumerate(measurements):
            try:
                readings.append(self.validator.validate_mapping(item, source))
            except Rejected as exc:
                rejected.append((index, exc.reason))
        return self.submit_readings(readings, rejected, offered=len(measurements))

    def submit_readings(
        self,
        readings: list[Reading],
        rejected: list[tuple[int, str]] | None = None,
        offered: int | None = None,
        block: bool = True,
    ) -> Future[BatchResult]:
        """Queue already validated readings (simulator, import); `rejected` are counted here."""
        rejected = rejected or []
        batch = Batch(readings, rejected)
        with self._submit_lock:
            if not self._accepting:
                raise PipelineStopped("the pipeline is stopped")
            self.counters.received(len(readings) + len(rejected) if offered is None else offered)
            if readings:
                # Detection under the same lock as the enqueue: detectors see each tag's
                # readings in exactly the order the writer commits them.
                self._detect(batch)
                batch.payload = rows_payload(readings)
                self._tell_accepted(readings)
                self._queue.put(batch, block=block)
        for reason, n in Counter(reason for _, reason in rejected).items():
            self.counters.rejected(reason, n)
        if not readings:
            batch.resolve()
        return batch.future

    def record_event(self, event: Event) -> None:
        """Store a fault or outage event (written by the writer thread with the next group)."""
        with self._events_lock:
            self._events.append(event)
        if self._accepting:
            with contextlib.suppress(queue.Full):  # a full queue wakes the writer anyway
                self._queue.put_nowait(None)

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback` (from a pipeline thread) after each commit with the readings stored."""
        self._subscribers.append(callback)

    def subscribe_accepted(self, callback: Subscriber) -> None:
        """Call `callback` with each batch's readings once validated and detected, before they
        are queued for the writer (so before their commit is reported): a view that must keep
        moving through a database outage (the monitor's charts, issue 12) listens here."""
        self._accepted_subscribers.append(callback)

    def _tell_accepted(self, readings: list[Reading]) -> None:
        sources = {r.source for r in readings}
        event = StoredBatch(readings, sources.pop() if len(sources) == 1 else "mixed")
        for callback in self._accepted_subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("accepted-readings subscriber failed")

    def set_outage(self, on: bool) -> None:
        """Simulate a database outage: every write fails until switched off."""
        if on == self.outage_switch.on:
            return
        self.outage_switch.set(on)
        if on:
            log.warning("database outage started by the operator: every write fails until ended")
            self.counters.set(outage=True, outage_reason="database outage (simulated)")
            self._outage_event = Event("outage", start=now_ts(), source="operator")
        elif self._outage_event is not None:
            log.warning("database outage ended by the operator")
            self._outage_event.end = now_ts()
        if self._outage_event is not None:
            self.record_event(self._outage_event)
        if not on:
            self._outage_event = None
            if self._retry.depth() == 0:  # nothing left to retry: no write will clear the flag
                self.counters.set(outage=False, outage_reason="")

    @property
    def outage(self) -> bool:
        """True while writes fail (simulated or real) or failed readings wait for retry."""
        return self.counters.snapshot().outage

    def snapshot(self) -> Snapshot:
        """The counters now."""
        return self.counters.snapshot()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything submitted so far is stored or dead-lettered."""
        marker = Batch([], [])
        self._queue.put(marker)
        try:
            marker.future.result(timeout)
        except TimeoutError:
            return False
        return self._retry.wait_empty(timeout)

    # -- the writer thread -----------------------------------------------------------------

    def _write_loop(self) -> None:
        store = self._new_store()
        try:
            store.open()  # now, not at the first write, which would wait for the GIL mid-import
        except StoreUnavailable as exc:
            log.warning("writer cannot open the database yet: %s", exc)
        self._writer_ready.set()
        stopping = False
        while not stopping:
            group, stopping = self._take_group()
            try:
                self._write_group(store, group)
            except Exception:  # a bug here must not strand every later batch (issue 5)
                log.exception("writer failed on a group; sending it to retry")
                self._retry.add([b for b in group if b.readings and not b.future.done()])
        self._write_events(store)
        with self._alarms_lock:
            self.alarms.close_all()
        self._write_alarms(store)
        store.close()

    def _take_group(self) -> tuple[list[Batch], bool]:
        """Block for one item, then take whatever else waits (group commit), up to a bound."""
        items = [self._queue.get()]
        rows = 0
        while items[-1] is not _STOP and rows < self._group_rows:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
            if isinstance(items[-1], Batch):
                rows += len(items[-1].readings)
        stopping = any(item is _STOP for item in items)
        return [item for item in items if isinstance(item, Batch)], stopping

    def _write_group(self, store: Store, group: list[Batch]) -> None:
        if self._write_events(store) and self.dead_letter.pending():
            # An event was written, so writes work: with no readings flowing (--no-sim, quiet
            # gateways) this is the first chance to drain what an outage dead-lettered.
            self._replay_after_outage(store)
        markers = [batch for batch in group if not batch.readings]
        group = [batch for batch in group if batch.readings]
        if group and (
            self._retry.depth() > 0
            or self._quitting_in_outage()
            or not self._try_write(store, group)
        ):
            self._retry.add(group, shutting_down=not self._accepting)
        self._write_alarms(store)
        for marker in markers:
            marker.resolve()

    def _quitting_in_outage(self) -> bool:
        """Stopping while writes fail: dead-letter at once instead of waiting out one more busy
        timeout per group; quitting during an outage took 8 s before (issue 5)."""
        return not self._accepting and self.outage

    def _detect(self, batch: Batch) -> None:
        """Score each reading; a detector that raises costs the verdict, never the reading."""
        detectors = self.detectors
        for reading in batch.readings:
            try:
                flagged, reading.score, reading.kind = detectors[reading.tag].update(
                    reading.value, reading.timestamp
                )
            except Exception:  # a plug-in detector's bug (issue 5): store the reading unscored
                log.exception(
                    "detector for %s failed; reading stored without a verdict", reading.tag
                )
                flagged, reading.score, reading.kind = False, None, None
            if flagged:
                reading.is_anomaly = True
                batch.anomalies[reading.tag, reading.kind or "anomaly"] += 1
        with self._alarms_lock:
            if batch.anomalies or self.alarms.open_alarms():
                self.alarms.feed(batch.readings)

    def _try_write(self, store: Store, group: list[Batch]) -> bool:
        """One transaction for the whole group; True when committed."""
        payloads = [batch.payload or rows_payload(batch.readings) for batch in group]
        payload = payloads[0] if len(payloads) == 1 else join_payloads(payloads)
        changed, alarms = self._take_alarms()
        try:
            stored = store.write_payload(payload, alarms)
        except StoreUnavailable as exc:
            self._requeue_alarms(changed)
            self._write_failed(str(exc))
            return False
        self.counters.set(outage=False, outage_reason="")
        self._committed(group, stored)
        if self.dead_letter.pending():
            self._replay_after_outage(store)
        return True

    def _replay_after_outage(self, store: Store) -> None:
        """Writes work again: store what the outage dead-lettered, so its count drains."""
        try:
            self.replay_dead_letter(store)
        except (StoreUnavailable, OSError) as exc:
            log.warning("dead-letter replay after outage failed: %s", exc)

    def _write_failed(self, reason: str) -> None:
        if not self.counters.snapshot().outage:
            log.warning("database writes failing: %s", reason)
        self.counters.add(write_failures=1)
        self.counters.set(outage=True, outage_reason=reason)

    def _committed(self, group: list[Batch], stored: int) -> None:
        """Count, resolve the senders' futures, tell subscribers."""
        readings = [reading for batch in group for reading in batch.readings]
        anomalies: Counter[tuple[str, str]] = Counter()
        for batch in group:
            anomalies.update(batch.anomalies)
        self.counters.stored(stored, len(readings) - stored, anomalies)
        for batch in group:
            batch.resolve(stored=len(batch.readings))
        sources = {r.source for r in readings}
        event = StoredBatch(readings, sources.pop() if len(sources) == 1 else "mixed")
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("subscriber failed")

    def _write_events(self, store: Store) -> bool:
        """Write pending events; True when at least one was written (the database works)."""
        with self._events_lock:
            events, self._events = self._events, []
        for i, event in enumerate(events):
            try:
                store.upsert_event(event.as_row())
            except StoreUnavailable:
                with self._events_lock:
                    self._events[:0] = events[i:]
                return False
        return bool(events)

    def _take_alarms(self) -> tuple[list[Alarm], list[dict[str, Any]]]:
        """Alarms opened, extended or closed since the last write, and their rows.

        Alarms are fed where detection runs (a sender's thread) and written by the writer, so
        both hold `_alarms_lock`; never the submit lock, which a sender holds while it waits for
        room in the queue that only the writer can make.
        """
        with self._alarms_lock:
            changed = self.alarms.take_changed()
            return changed, [alarm.as_row() for alarm in changed]

    def _requeue_alarms(self, changed: list[Alarm]) -> None:
        if changed:
            with self._alarms_lock:
                self.alarms.requeue(changed)

    def _write_alarms(self, store: Store) -> None:
        """Upsert changed alarms on their own (the data write carries them when there is one)."""
        changed, rows = self._take_alarms()
        if not rows:
            return
        try:
            store.upsert_alarms(rows)
        except StoreUnavailable:
            self._requeue_alarms(changed)

    # -- dead letter -----------------------------------------------------------------------

    def replay_dead_letter(self, store: Store | None = None) -> ReplayResult:
        """Store the dead-letter file's readings now (idempotent); raises StoreUnavailable."""
        own = store is None
        store = store or self._new_store()
        try:
            result = self.dead_letter.replay(self.validator, store.write_rows)
        finally:
            if own:
                store.close()
        anomalies = Counter((r.tag, r.kind or "anomaly") for r in result.readings if r.is_anomaly)
        self.counters.stored(result.stored, result.duplicates, anomalies)
        self.counters.add(replayed=result.stored + result.duplicates)
        if result.bad_lines:
            self.counters.add(dead_letter_bad=result.bad_lines)
            log.warning(
                "moved %d unreadable dead-letter lines to %s",
                result.bad_lines,
                self.dead_letter.bad_path,
            )
        self._refresh_dead_letter_gauges()
        if result.readings:
            for callback in self._subscribers:
                callback(StoredBatch(result.readings, "replay"))
        return result

    def _dead_letter(self, batches: list[Batch], reason: str, keep: bool = False) -> None:
        """fsync the batches to the dead-letter file; if even that fails, fail their futures.

        Failed senders are told (nothing unacknowledged counts as kept), but with `keep` the
        readings stay in the retry queue, so a read-only directory or a full disk that ends
        before the monitor stops costs nothing (issue 5). Without `keep` (shutdown) they are
        lost: counted as not durable and logged as JSON lines, never silently.
        """
        readings = [reading for batch in batches for reading in batch.readings]
        try:
            self.dead_letter.append(readings, reason)
        except OSError as exc:
            for batch in batches:
                batch.fail(NotDurable(f"cannot store or dead-letter: {exc}"))
            if keep and self._retry.keep(readings):
                log.error(
                    "dead-letter append failed, %d readings kept for retry: %s", len(readings), exc
                )
            else:
                self._lost(readings, exc)
            return
        self.counters.add(dead_lettered=len(readings))
        self._refresh_dead_letter_gauges()
        for batch in batches:
            batch.resolve(dead_lettered=len(batch.readings))

    def _lost(self, readings: list[Reading], exc: OSError) -> None:
        """Readings neither stored nor dead-lettered: count them and log them for a human."""
        self.counters.add(not_durable=len(readings))
        log.error("dead-letter append failed, %d readings NOT stored: %s", len(readings), exc)
        for reading in readings:
            log.error("not stored: %s", json.dumps(reading.as_dict(), ensure_ascii=False))

    def _refresh_dead_letter_gauges(self) -> None:
        self.counters.set(
            dead_letter_pending=self.dead_letter.pending(),
            dead_letter_bad=self.dead_letter.bad_count(),
        )


__all__ = [
    "Batch",
    "BatchResult",
    "NotDurable",
    "Pipeline",
    "PipelineStopped",
    "RetryPolicy",
    "StoredBatch",
    "iter_groups",
]
