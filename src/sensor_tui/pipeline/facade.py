"""The one ingest pipeline every source uses: validate, detect, store, retry, dead-letter.

    sources ── submit() ──> detect ──> Writer queue ──> writer thread: group commit ──> Fanout
               (validate)   (sender's   (bounded)        │ failed         ^ due        (subscribers)
                             thread)                     v                │
                                                RetrySchedule (backoff) ──┘
                                                         │ last attempt / shutdown
                                                         v
                                                dead-letter file (fsync)

`submit` returns a Future that resolves with a `BatchResult` only once the batch's readings are
committed to SQLite or fsynced to the dead-letter file; that is the durability rule HTTP answers
by. `Pipeline` is the facade: it wires the parts (`detect`, `writer`, `retry`, `outcomes`,
`fanout`) and keeps the public API; each part is one job in its own module.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.alarming.commands import AlarmCommand
from sensor_tui.detection import Detector
from sensor_tui.model.counters import Counters, Snapshot
from sensor_tui.model.events import Event
from sensor_tui.model.readings import Reading, Rejected, Validator
from sensor_tui.model.tags import Config
from sensor_tui.pipeline.batches import (
    Batch,
    BatchResult,
    PipelineStopped,
    RetryPolicy,
    StoredBatch,
    Subscriber,
    rows_payload,
)
from sensor_tui.pipeline.deadletter import DeadLetter, ReplayResult, default_path
from sensor_tui.pipeline.detect import DetectionStage
from sensor_tui.pipeline.fanout import AlarmSubscriber, alarms_fanout, readings_fanout
from sensor_tui.pipeline.operator_outage import OperatorOutage
from sensor_tui.pipeline.outcomes import Outcomes
from sensor_tui.pipeline.retry import RetrySchedule, open_with_retry
from sensor_tui.pipeline.sidewrites import end_open_events
from sensor_tui.pipeline.writer import Writer
from sensor_tui.storage import OutageSwitch, Reader, Store, StoreUnavailable
from sensor_tui.storage.units import Reference

log = logging.getLogger(__name__)


class Pipeline:
    """Validates and detects in the sender's thread, then hands batches to the one writer."""

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
        self.dead_letter = DeadLetter(dead_letter_path or default_path(self.db_path))
        self.retry_policy = retry or RetryPolicy()
        self.counters = Counters()
        self.outage_switch = OutageSwitch()
        self.validator = Validator(config)
        self.detection = DetectionStage(config)
        self._busy_ms = busy_ms
        self._fanout = readings_fanout()
        self._accepted = readings_fanout()
        self._retry = RetrySchedule(self.retry_policy, self.counters)
        self._outcomes = Outcomes(
            self.counters, self.dead_letter, self.validator, self._fanout, self._retry
        )
        self._writer = Writer(
            self._new_store, self.detection, self._outcomes, self._retry, queue_batches, group_rows
        )
        self._alarm_fanout = alarms_fanout()
        self._writer.side.on_alarm_changes = self._alarm_fanout.publish
        self._accepting = False
        self._submit_lock = threading.Lock()
        """Makes "still accepting?" and the enqueue one step, so no batch lands behind the stop."""
        self._operator_outage = OperatorOutage(
            self.outage_switch, self.counters, self.record_event, self._retry.depth
        )

    @property
    def detectors(self) -> dict[str, Detector]:
        """Each tag's detector (a test may swap one in before submitting)."""
        return self.detection.detectors

    # -- life cycle ------------------------------------------------------------------------

    def start(self, replay: bool = True, end_stale: bool = False) -> ReplayResult | None:
        """Open (and migrate) the database, warm the detectors, start the writer, which then
        replays the dead-letter file; raises StoreUnavailable if the file cannot be opened.
        A monitor asks to `end_stale` events (a previous run's open ones would claim its alarms)."""
        store = open_with_retry(self._new_store(), self.retry_policy)
        left_open = end_stale and not end_open_events(store)
        reader = Reader(self.db_path, self._busy_ms)
        try:
            self.detection.warm(reader)
        finally:
            reader.close()
            store.close()  # the writer thread opens its own connection
        self._writer.start()
        if left_open:  # the file was busy: the writer ends them with its first work
            self._writer.call(end_open_events)
        result = self._replay_at_start() if replay else None
        self._outcomes.refresh_dead_letter_gauges()
        self._accepting = True
        return result

    def _replay_at_start(self) -> ReplayResult | None:
        """Replay the dead-letter file on the writer thread (so subscribers hear of it there);
        a locked or failing database must not stop the start.

        The lines stay in the file and the writer replays them after its first commit.
        """
        try:
            result: ReplayResult = self._writer.call(self._outcomes.replay).result()
            return result
        except (StoreUnavailable, OSError) as exc:
            log.warning("dead-letter replay at start failed, will retry after a write: %s", exc)
            return None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting, write what is queued, retry once, dead-letter the rest, join."""
        with self._submit_lock:
            if not self._accepting:
                return
            self._accepting = False
            self._writer.close()
        self._writer.join(timeout)
        self._outcomes.refresh_dead_letter_gauges()

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
                self.detection.detect(batch)
                batch.payload = rows_payload(readings)
                self._accepted.publish(StoredBatch(readings, _source_of(readings)))
                self._writer.put(batch, block=block)
        for reason, n in Counter(reason for _, reason in rejected).items():
            self.counters.rejected(reason, n)
        if not readings:
            batch.resolve()
        return batch.future

    def record_event(self, event: Event) -> None:
        """Store a fault or outage event (written by the writer thread with the next group)."""
        self._writer.add_event(event)

    def alarm_command(self, command: AlarmCommand) -> Future[list[AlarmChange]]:
        """Queue an operator's ack / shelve / unshelve for the writer thread; the future gets
        the alarms as they are after the commit, or UnknownAlarm / AlarmCommandError /
        StoreUnavailable."""

        def apply(store: Store) -> list[AlarmChange]:
            return store.alarm_command(
                command.action,
                command.ids,
                command.actor,
                command.via,
                command.until,
                command.strict,
            )

        with self._submit_lock:
            if not self._accepting:
                raise PipelineStopped("the pipeline is stopped")
            future: Future[list[AlarmChange]] = self._writer.call(apply)
        return future

    def refit_unit(self, name: str, since: str | None, until: str | None) -> Future[Reference]:
        """Learn unit `name`'s reference from the readings stored in [since, until) and store
        it, on the writer thread; the future raises ValueError for too few readings."""
        if self.config.unit(name) is None:
            raise ValueError(f"no unit {name!r}")
        future: Future[Reference] = self._writer.call(
            lambda store: self.detection.units.refit(name, store, since, until)
        )
        return future

    def run_on_writer(self, fn: Callable[[Store], Any]) -> Future[Any]:
        """Run `fn(store)` on the writer thread, after what is queued (the historian forwarder
        records its watermark this way: one writer, never a second write connection)."""
        return self._writer.call(fn)

    def subscribe_alarms(self, callback: AlarmSubscriber) -> None:
        """Call `callback` (from the writer thread) with the alarm rows each commit changed."""
        self._alarm_fanout.subscribe(callback)

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback` (from the writer thread) after each commit with the readings stored."""
        self._fanout.subscribe(callback)

    def subscribe_accepted(self, callback: Subscriber) -> None:
        """Call `callback` with each batch's readings once validated and detected, before they
        are queued for the writer, so before their commit is told: a view that must keep moving
        through a database outage (the monitor's charts) listens here. Called from the
        sender's thread under the submit lock (one at a time, in commit order)."""
        self._accepted.subscribe(callback)

    def set_outage(self, on: bool) -> None:
        """Simulate a database outage: every write fails until switched off."""
        self._operator_outage.set(on)

    @property
    def outage(self) -> bool:
        """True while writes fail (simulated or real) or failed readings wait for retry."""
        return self.counters.snapshot().outage

    def snapshot(self) -> Snapshot:
        """The counters now."""
        return self.counters.snapshot()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything submitted so far is stored or dead-lettered."""
        if not self._writer.running:
            return self._retry.wait_empty(0)
        marker = Batch([], [])
        self._writer.put(marker)
        try:
            marker.future.result(timeout)
        except TimeoutError:
            return False
        return self._retry.wait_empty(timeout)

    # -- dead letter -----------------------------------------------------------------------

    def replay_dead_letter(self, store: Store | None = None) -> ReplayResult:
        """Store the dead-letter file's readings now (idempotent); raises StoreUnavailable.

        While the pipeline runs, the writer thread does it on its connection (one writer).
        """
        if store is not None:
            return self._outcomes.replay(store)
        if self._writer.running and not self._writer.on_writer_thread():
            result: ReplayResult = self._writer.call(self._outcomes.replay).result()
            return result
        own = self._new_store()
        try:
            return self._outcomes.replay(own)
        finally:
            own.close()


def _source_of(readings: list[Reading]) -> str:
    sources = {r.source for r in readings}
    return sources.pop() if len(sources) == 1 else "mixed"
