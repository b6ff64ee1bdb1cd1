"""Every batch ends in one outcome: committed, dead-lettered, or (never silently) lost.

This is where an outcome becomes counters, a resolved or failed future, and a subscriber event.
It is called from the writer thread only (and, before the threads start, from `Pipeline.start`
or `sensor-tui recover`), so the counters' audit holds: every reading has exactly one outcome.
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from sensor_tui.model.counters import Counters
from sensor_tui.model.faults import FaultKind
from sensor_tui.model.readings import Reading, Validator
from sensor_tui.pipeline.batches import Batch, NotDurable, StoredBatch
from sensor_tui.pipeline.deadletter import DeadLetter, ReplayResult
from sensor_tui.pipeline.fanout import Fanout
from sensor_tui.pipeline.retry import RetrySchedule
from sensor_tui.storage import Store

log = logging.getLogger(__name__)


class Outcomes:
    """Records outcomes: counts them, tells senders (futures) and subscribers (the fan-out)."""

    def __init__(
        self,
        counters: Counters,
        dead_letter: DeadLetter,
        validator: Validator,
        fanout: Fanout[StoredBatch],
        retry: RetrySchedule,
    ) -> None:
        self.counters = counters
        self.dead_letter = dead_letter
        self.validator = validator
        self.fanout = fanout
        self.retry = retry

    def committed(self, group: list[Batch], stored: int) -> None:
        """A transaction committed: count, resolve the senders' futures, tell subscribers."""
        self.counters.set(outage=False, outage_reason="")
        readings = [reading for batch in group for reading in batch.readings]
        anomalies: Counter[tuple[str, str]] = Counter()
        for batch in group:
            anomalies.update(batch.anomalies)
        self.counters.stored(stored, len(readings) - stored, anomalies)
        for batch in group:
            batch.resolve(stored=len(batch.readings))
        sources = {r.source for r in readings}
        self.fanout.publish(StoredBatch(readings, sources.pop() if len(sources) == 1 else "mixed"))

    def write_failed(self, reason: str) -> None:
        """A write failed (outage, lock, full disk): the status shows why until one succeeds."""
        if not self.counters.snapshot().outage:
            log.warning("database writes failing: %s", reason)
        self.counters.add(write_failures=1)
        self.counters.set(outage=True, outage_reason=reason)

    def dead_letter_batches(self, batches: list[Batch], reason: str, keep: bool = False) -> None:
        """fsync the batches to the dead-letter file; if even that fails, fail their futures.

        Failed senders are told (nothing unacknowledged counts as kept), but with `keep` the
        readings stay in the retry schedule, so a read-only directory or a full disk that ends
        before the monitor stops costs nothing. Without `keep` (shutdown) they are
        lost: counted as not durable and logged as JSON lines, never silently.
        """
        if not batches:
            return
        readings = [reading for batch in batches for reading in batch.readings]
        try:
            self.dead_letter.append(readings, reason)
        except OSError as exc:
            for batch in batches:
                batch.fail(NotDurable(f"cannot store or dead-letter: {exc}"))
            if keep and self.retry.keep(readings):
                log.error(
                    "dead-letter append failed, %d readings kept for retry: %s", len(readings), exc
                )
            else:
                self._lost(readings, exc)
            return
        self.counters.add(dead_lettered=len(readings))
        self.refresh_dead_letter_gauges()
        for batch in batches:
            batch.resolve(dead_lettered=len(batch.readings))

    def _lost(self, readings: list[Reading], exc: OSError) -> None:
        """Readings neither stored nor dead-lettered: count them and log them for a human."""
        self.counters.add(not_durable=len(readings))
        log.error("dead-letter append failed, %d readings NOT stored: %s", len(readings), exc)
        for reading in readings:
            log.error("not stored: %s", json.dumps(reading.as_dict(), ensure_ascii=False))

    def replay(self, store: Store) -> ReplayResult:
        """Store the dead-letter file's readings through `store` (idempotent).

        Raises StoreUnavailable (the lines stay in the file) or OSError (file unreadable).
        """
        result = self.dead_letter.replay(self.validator, store.write_rows)
        anomalies = Counter(
            (r.tag, r.kind or FaultKind.ANOMALY) for r in result.readings if r.is_anomaly
        )
        self.counters.stored(result.stored, result.duplicates, anomalies)
        self.counters.add(replayed=result.stored + result.duplicates)
        if result.bad_lines:
            self.counters.add(dead_letter_bad=result.bad_lines)
            log.warning(
                "moved %d unreadable dead-letter lines to %s",
                result.bad_lines,
                self.dead_letter.bad_path,
            )
        self.refresh_dead_letter_gauges()
        self.fanout.publish(StoredBatch(result.readings, "replay"))
        return result

    def refresh_dead_letter_gauges(self) -> None:
        """Publish the dead-letter file's pending and set-aside line counts."""
        self.counters.set(
            dead_letter_pending=self.dead_letter.pending(),
            dead_letter_bad=self.dead_letter.bad_count(),
            dead_letter_error=self.dead_letter.error or "",
        )
