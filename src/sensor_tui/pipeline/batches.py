"""What travels through the pipeline: batches, their outcomes, and the rows they carry.

A `Batch` is one sender's accepted readings plus the future the sender waits on; the pipeline's
threads resolve that future only once the readings are durable. The rows travel to SQLite as one
JSON array per group (see `Store.write_payload`), built here.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.readings import Reading


class NotDurable(SensorTuiError):
    """Readings could be neither stored nor dead-lettered (e.g. the disk is full); not acked."""


class PipelineStopped(SensorTuiError):
    """The pipeline no longer accepts readings."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff for failed writes: delays base, 2*base, ... capped, then dead letter."""

    attempts: int = 5
    base_delay: float = 0.1
    max_delay: float = 2.0
    max_queued_readings: int = 100_000
    """Bound of the retry queue; past it, failed batches go straight to the dead-letter file."""

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1))


@dataclass(slots=True)
class BatchResult:
    """The outcome of one submitted batch, as HTTP answers it."""

    accepted: int
    rejected: list[tuple[int, str]]
    anomalies: int = 0
    stored: int = 0
    """Accepted readings now in the database (new, or already there from an earlier send)."""
    dead_lettered: int = 0


@dataclass(slots=True)
class Batch:
    """Accepted readings on their way to the database, with the future their sender waits on."""

    readings: list[Reading]
    rejected: list[tuple[int, str]]
    future: Future[BatchResult] = field(default_factory=Future)
    attempts: int = 0
    due: float = 0.0
    payload: str | None = None
    """The rows as one JSON array (see `Store.write_payload`), built by the sender's thread;
    None until built (then the writer builds it)."""
    anomalies: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Anomalies in this batch by (tag, kind)."""

    def result(self, **outcome: int) -> BatchResult:
        """The BatchResult for this batch with the given outcome counts."""
        anomalies = sum(self.anomalies.values())
        return BatchResult(len(self.readings), self.rejected, anomalies, **outcome)

    def resolve(self, **outcome: int) -> None:
        """Tell the sender the outcome, unless it gave up waiting (cancelled the future).

        A sender may cancel (an HTTP client that hung up); `set_result` would then raise in a
        pipeline thread and kill it, stranding every later batch.
        """
        with contextlib.suppress(InvalidStateError):
            self.future.set_result(self.result(**outcome))

    def fail(self, exc: BaseException) -> None:
        """Tell the sender its readings are not durable (unless it cancelled)."""
        with contextlib.suppress(InvalidStateError):
            self.future.set_exception(exc)


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """Readings just committed (one transaction); what subscribers are told."""

    readings: list[Reading]
    source: str


Subscriber = Callable[[StoredBatch], None]
"""A callback told of every commit (called from a pipeline thread)."""


class _Literals(dict[str | None, str]):
    """JSON literal of each tag, kind or source seen: few distinct values, so each is encoded
    once; a subscript that hits is one C-level lookup, no Python call per reading."""

    def __missing__(self, text: str | None) -> str:
        literal = self[text] = json.dumps(text, ensure_ascii=False)
        return literal


_LITERALS = _Literals({None: "null"})


def rows_payload(readings: list[Reading]) -> str:
    """The JSON array of rows (`Reading.as_row` order) that `Store.write_payload` inserts.

    Built with f-strings rather than `json.dumps`, at half the cost, on the import's hot path.
    Safe because every part is known: timestamps are canonical by construction (digits, `-:.TZ`),
    values are finite floats (validated), and strings go through `json.dumps` once each. A
    non-finite score, which JSON cannot carry, is stored as NULL.
    """
    text = _LITERALS
    return (
        "["
        + ",".join(
            [
                f'["{r.timestamp}",{text[r.tag]},{r.value!r},{1 if r.is_anomaly else 0},'
                f"{'null' if (s := r.score) is None or not -1e308 < s < 1e308 else repr(float(s))},"
                f"{text[r.kind]},{text[r.source]}]"
                for r in readings
            ]
        )
        + "]"
    )


def join_payloads(payloads: Iterable[str]) -> str:
    """Concatenate JSON arrays of rows without parsing them again (group commit)."""
    return "[" + ",".join(p[1:-1] for p in payloads if len(p) > 2) + "]"


def iter_groups(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    """Split an iterable into lists of at most `size` items (import chunks)."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
