"""The pipeline's counters: one small thread-safe object that the UI, `stats` and HTTP all read.

Every reading ends in exactly one outcome (stored, duplicate of one already stored, rejected with a
reason, dead-lettered), so the counters are also the audit that nothing went missing:
received + replayed == stored + duplicates + rejected + dead_lettered + not_durable + in flight.
(A replayed dead-letter line is a reading offered again, so it is on the left.)
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from typing import Any

SOURCE_STATES = ("connecting", "connected", "reconnecting", "error", "stopped")
"""What a network source (MQTT broker, OPC UA server) can be doing; `error` is a refusal that
retrying alone will not cure (bad password, bad certificate), still retried with backoff."""


@dataclass(frozen=True, slots=True)
class SourceState:
    """One network source as the status line, /health and /metrics show it."""

    name: str
    kind: str
    state: str = "connecting"
    error: str = ""
    messages: int = 0
    """Messages (MQTT) or data changes (OPC UA) received so far."""
    reason: str = ""
    """Two or three words for the screen: `auth refused`, `node unknown (1 of 4 tags)`."""
    down_since: float | None = None
    """Wall time the server was last seen going away, for `server down 12 s`."""

    @property
    def up(self) -> bool:
        """True while connected."""
        return self.state == "connected"

    def short_reason(self, now: float | None = None) -> str:
        """The reason with its age when the server is down: what the operator reads."""
        if self.down_since is not None and self.reason in ("server down", "no answer"):
            seconds = max(0, int((time.time() if now is None else now) - self.down_since))
            return f"{self.reason} {_age(seconds)}"
        return self.reason

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for /health and /stats."""
        return {
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "error": self.error,
            "messages": self.messages,
            "reason": self.short_reason(),
        }


def _age(seconds: int) -> str:
    """`12 s`, `3 min`, `2 h`: short enough for the status line."""
    if seconds < 120:
        return f"{seconds} s"
    return f"{seconds // 60} min" if seconds < 7200 else f"{seconds // 3600} h"


@dataclass(slots=True)
class Snapshot:
    """A consistent copy of the counters at one moment."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    anomalies: dict[tuple[str, str], int] = field(default_factory=dict)
    dead_lettered: int = 0
    replayed: int = 0
    dead_letter_pending: int = 0
    dead_letter_bad: int = 0
    dead_letter_error: str = ""
    """Why the dead-letter file cannot be read; `dead_letter_pending` is unknown then."""
    not_durable: int = 0
    retry_depth: int = 0
    write_failures: int = 0
    outage: bool = False
    outage_reason: str = ""
    source_errors: int = 0
    """Unexpected failures of a source thread (the simulator), each logged with its traceback."""
    source_error: str = ""
    """The last of them, e.g. "simulator: ZeroDivisionError: ..."."""
    write_errors: int = 0
    """Writes that failed on an unexpected error (a bug, not an outage): rolled back, logged with
    the traceback; their readings retried without the alarms, or dead-lettered."""
    alarms_dropped: int = 0
    """Alarm updates given up after such an error (the readings themselves are kept)."""
    rate: float = 0.0
    sources: tuple[SourceState, ...] = ()
    forwarding: bool = False
    """True when a forwarder copies this file to a historian (`pipeline.forward`)."""
    forward_up: bool = False
    forward_backlog: int = 0
    """Readings stored locally and not yet committed by the historian."""
    forward_since: str = ""
    """When the historian became unreachable (empty while it is reachable)."""
    forward_error: str = ""
    forward_forwarded: int = 0

    @property
    def forward_text(self) -> str:
        """ "forward: behind N readings since T" while behind; empty when not forwarding."""
        if not self.forwarding:
            return ""
        if self.forward_since:
            when = self.forward_since[:19].replace("T", " ")
            return f"forward: behind {self.forward_backlog:,} readings since {when}"
        if self.forward_backlog > 0:
            return f"forward: catching up, behind {self.forward_backlog:,} readings"
        return "forward: ok" if self.forward_up else "forward: connecting"

    def forward_dict(self) -> dict[str, Any]:
        """The forwarder's state for /health and /stats."""
        return {
            "up": self.forward_up,
            "backlog": self.forward_backlog,
            "behind_since": self.forward_since or None,
            "error": self.forward_error,
            "forwarded": self.forward_forwarded,
            "text": self.forward_text,
        }

    @property
    def rejected_total(self) -> int:
        """All rejections, whatever the reason."""
        return sum(self.rejected.values())

    @property
    def in_flight(self) -> int:
        """Readings offered but without an outcome yet (queued or waiting for retry).

        Zero once the pipeline is flushed; anything else means a reading went missing.
        """
        outcomes = self.stored + self.duplicates + self.rejected_total + self.dead_lettered
        return self.received + self.replayed - outcomes - self.not_durable

    @property
    def anomalies_total(self) -> int:
        """All anomalies stored, whatever the tag or kind."""
        return sum(self.anomalies.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for `stats --json` and GET /stats."""
        by_tag: dict[str, dict[str, int]] = {}
        for (tag, kind), count in sorted(self.anomalies.items()):
            by_tag.setdefault(tag, {})[kind] = count
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected_total,
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "anomalies": self.anomalies_total,
            "anomalies_by_tag": by_tag,
            "dead_lettered": self.dead_lettered,
            "replayed": self.replayed,
            "dead_letter_pending": self.dead_letter_pending,
            "dead_letter_bad_lines": self.dead_letter_bad,
            "dead_letter_error": self.dead_letter_error,
            "not_durable": self.not_durable,
            "retry_queue_depth": self.retry_depth,
            "write_failures": self.write_failures,
            "outage": self.outage,
            "outage_reason": self.outage_reason,
            "source_errors": self.source_errors,
            "source_error": self.source_error,
            "write_errors": self.write_errors,
            "alarms_dropped": self.alarms_dropped,
            "readings_per_second": round(self.rate, 2),
            "sources": [source.as_dict() for source in self.sources],
            **({"forward": self.forward_dict()} if self.forwarding else {}),
        }


class Counters:
    """Thread-safe counters, incremented by the pipeline's threads, read by everyone."""

    RATE_WINDOW = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._s = Snapshot()
        self._rejected: Counter[str] = Counter()
        self._anomalies: Counter[tuple[str, str]] = Counter()
        self._recent: deque[tuple[float, int]] = deque()
        self._sources: dict[str, SourceState] = {}

    def received(self, n: int) -> None:
        """Readings offered to the pipeline (before validation)."""
        with self._lock:
            self._s.received += n

    def rejected(self, reason: str, n: int = 1) -> None:
        """A reading failed validation (or replay) for this reason."""
        with self._lock:
            self._rejected[reason] += n

    def stored(self, stored: int, duplicates: int, anomalies: Counter[tuple[str, str]]) -> None:
        """A transaction committed."""
        now = time.monotonic()
        with self._lock:
            self._s.stored += stored
            self._s.duplicates += duplicates
            self._anomalies.update(anomalies)
            self._recent.append((now, stored + duplicates))

    def add(self, **amounts: int) -> None:
        """Add to plain integer counters by name (dead_lettered, replayed, write_failures...)."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self._s, name, getattr(self._s, name) + amount)

    def set(self, **values: Any) -> None:
        """Set gauges by name (retry_depth, dead_letter_pending, outage, outage_reason...)."""
        with self._lock:
            for name, value in values.items():
                setattr(self._s, name, value)

    def source(self, name: str, kind: str, **changes: Any) -> None:
        """Create or update a network source's state (state, error, messages)."""
        with self._lock:
            old = self._sources.get(name) or SourceState(name, kind)
            self._sources[name] = replace(old, **changes)

    def source_messages(self, name: str, n: int) -> None:
        """Count messages a source received (cheap: called per batch of messages)."""
        with self._lock:
            old = self._sources.get(name)
            if old is not None:
                self._sources[name] = replace(old, messages=old.messages + n)

    def snapshot(self) -> Snapshot:
        """A consistent copy, with the rate over the last few seconds."""
        now = time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0][0] > self.RATE_WINDOW:
                self._recent.popleft()
            copy = Snapshot(**{name: getattr(self._s, name) for name in Snapshot.__slots__})
            copy.rejected = dict(self._rejected)
            copy.anomalies = dict(self._anomalies)
            copy.sources = tuple(self._sources.values())
            total = sum(n for _, n in self._recent)
        copy.rate = total / self.RATE_WINDOW
        return copy
