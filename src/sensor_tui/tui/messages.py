"""Messages from pipeline threads and workers to the app: small past-tense events.

Threads never touch widgets; they post one of these (post_message is thread-safe) and the app's
own thread does the rest.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class ReadingsStored(Message):
    """Readings were committed and wait in the app's inbox.

    Carries no readings on purpose: the writer posts it only when the inbox turns non-empty, so a
    burst of commits costs the UI one message and one drain, not one per batch.
    """


@dataclass
class HistoryLoaded(Message):
    """Stored readings for [since, each tag's until) were read from SQLite by a worker."""

    since: float
    series: dict[str, tuple[array[float], array[float], array[int]]]
    anomalies: list[dict[str, Any]] = field(default_factory=list)
    """Recent anomalous readings (newest last), only on the first load."""
    error: str | None = None


@dataclass
class ViewLoaded(Message):
    """Every tag's stored view of `span` was read from SQLite by a worker."""

    span: tuple[float, float]
    views: dict[str, Any]
    """Tag -> `series.StoredView`."""
    error: str | None = None
