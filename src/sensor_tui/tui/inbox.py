"""The one hand-over point between pipeline threads and the UI thread: a bounded `Inbox`.

Readings (accepted and committed, through `LiveFeed`) and alarm changes (the writer's commits,
for the alarm pane) both cross threads through it. Threads never touch a widget: they put items
here and post one wake-up message when the inbox turns non-empty, and the UI thread takes
everything at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from sensor_tui.alarming import states
from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.model.readings import Reading

T = TypeVar("T")

MAX_READINGS = 100_000
"""Readings the inbox holds for a UI that has fallen behind (a few MB; minutes at 1 kHz)."""
MAX_ALARM_CHANGES = 10_000
"""Alarm changes held for a UI that has fallen behind (after coalescing by alarm)."""

Shrink = Callable[[list[T], int], list[T]]
"""What an overflowing inbox keeps: (items oldest first, the bound) -> the items kept, in order."""


def newest_half(items: list[T], bound: int) -> list[T]:
    """Keep the newest half of the bound: what a live view shows."""
    return items[-(bound // 2) :]


def newest_and_anomalies(items: list[Reading], bound: int) -> list[Reading]:
    """Readings: the newest half, which the live charts show, and every anomaly among the rest
    (the newest of them, up to a quarter of the bound), which the anomaly table must not miss."""
    keep = bound // 2
    older, newest = items[:-keep], items[-keep:]
    return [r for r in older if r.is_anomaly][-(bound // 4) :] + newest


def latest_per_alarm(items: list[AlarmChange], bound: int) -> list[AlarmChange]:
    """Alarm changes: the latest change of each alarm (its row is all the panel needs) and the
    change that raised it (its toast); an alarm flood beyond that keeps the newest half."""
    latest = {change.row["id"]: change for change in items}
    raises = {c.row["id"]: c for c in reversed(items) if raised(c)}  # the first raise of each
    kept = [c for c in items if latest[c.row["id"]] is c or raises.get(c.row["id"]) is c]
    return kept if len(kept) <= bound else newest_half(kept, bound)


def raised(change: AlarmChange) -> bool:
    """True for the change that raised a new active alarm (it toasts once)."""
    return change.from_state is None and change.to_state in states.ACTIVE_STATES


class Inbox(Generic[T]):
    """Items from pipeline threads, waiting for the UI to take them; bounded.

    `put` answers whether the inbox was empty, i.e. whether the UI needs waking: that is how many
    commits become one UI update (coalescing) without a pipeline thread ever blocking on the UI.

    Overflow: when the UI falls behind (a stalled terminal, a burst of HTTP traffic) the inbox
    shrinks to what `shrink` keeps (readings: the newest half and the older anomalies; alarm
    changes: the latest of each alarm and its raise) rather than growing without bound.
    Everything stays in SQLite; `dropped` counts what only the UI missed. Shrinking to at most
    the bound's half-and-a-quarter keeps the cost, amortised over the items put, constant.
    """

    def __init__(self, max_items: int = MAX_READINGS, shrink: Shrink[T] = newest_half) -> None:
        self.max_items = max(4, max_items)
        self.dropped = 0
        """Items shrunk away since the start (never shown live; they are stored)."""
        self._shrink = shrink
        self._lock = threading.Lock()
        self._items: list[T] = []

    def put(self, items: Iterable[T]) -> bool:
        """Add items; True when the inbox was empty before (post one wake-up message)."""
        with self._lock:
            was_empty = not self._items
            self._items.extend(items)
            if len(self._items) > self.max_items:
                kept = self._shrink(self._items, self.max_items)
                self.dropped += len(self._items) - len(kept)
                self._items = kept
            return was_empty and bool(self._items)

    def take(self) -> list[T]:
        """Everything waiting, oldest first; the inbox is empty afterwards."""
        with self._lock:
            items, self._items = self._items, []
        return items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def reading_inbox(max_items: int = MAX_READINGS) -> Inbox[Reading]:
    """An inbox of readings: overflow keeps the newest half and the older anomalies."""
    return Inbox(max_items, newest_and_anomalies)


def alarm_inbox(max_items: int = MAX_ALARM_CHANGES) -> Inbox[AlarmChange]:
    """An inbox of alarm changes: overflow keeps the latest change of each alarm and its raise."""
    return Inbox(max_items, latest_per_alarm)
