"""The one place that tells subscribers about stored readings, each call guarded.

Called from the writer thread only (or, before the threads start, from the thread that starts
the pipeline), so a subscriber never runs on two threads at once. A subscriber that raises is
logged and skipped: a bug in the UI must never cost the writer thread or another subscriber.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.pipeline.batches import StoredBatch

log = logging.getLogger(__name__)


AlarmSubscriber = Callable[[list[AlarmChange]], None]
"""Told of the alarm rows each commit changed, from the writer thread."""

T = TypeVar("T")


class Fanout(Generic[T]):
    """Subscribers to one kind of event ("readings stored", "alarms changed"), told in the order
    they subscribed, each call guarded. `skip` names events not worth telling (an empty batch)."""

    def __init__(self, what: str, skip: Callable[[T], bool] | None = None) -> None:
        self._subscribers: list[Callable[[T], None]] = []
        self._lock = threading.Lock()
        self._what = what
        self._skip = skip

    def subscribe(self, callback: Callable[[T], None]) -> None:
        """Add a subscriber (from any thread)."""
        with self._lock:
            self._subscribers.append(callback)

    def publish(self, event: T) -> None:
        """Call every subscriber with `event`; one that raises is logged, the rest still run."""
        if self._skip is not None and self._skip(event):
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("%s subscriber %r failed", self._what, callback)


def readings_fanout() -> Fanout[StoredBatch]:
    """Subscribers to "readings stored" (or accepted); a batch without readings tells nobody."""
    return Fanout("readings", skip=lambda event: not event.readings)


def alarms_fanout() -> Fanout[list[AlarmChange]]:
    """Subscribers to "alarms changed" (the notifier, the UI)."""
    return Fanout("alarm")
