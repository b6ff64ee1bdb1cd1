"""The one place that tells subscribers about stored readings, each call guarded.

Called from the writer thread only (or, before the threads start, from the thread that starts
the pipeline), so a subscriber never runs on two threads at once. A subscriber that raises is
logged and skipped: a bug in the UI must never cost the writer thread or another subscriber.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sensor_tui.pipeline.batches import StoredBatch, Subscriber
from sensor_tui.storage.alarms import AlarmChange

log = logging.getLogger(__name__)


AlarmSubscriber = Callable[[list[AlarmChange]], None]
"""Told of the alarm rows each commit changed (issue 11), from the writer thread."""


class AlarmFanout:
    """Subscribers to "alarms changed" (the notifier, the UI), each call guarded."""

    def __init__(self) -> None:
        self._subscribers: list[AlarmSubscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: AlarmSubscriber) -> None:
        """Add a subscriber (from any thread)."""
        with self._lock:
            self._subscribers.append(callback)

    def publish(self, changes: list[AlarmChange]) -> None:
        """Call every subscriber with the changes; one that raises is logged and skipped."""
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(changes)
            except Exception:
                log.exception("alarm subscriber %r failed", callback)


class Fanout:
    """Subscribers to "readings stored", told in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> None:
        """Add a subscriber (from any thread)."""
        with self._lock:
            self._subscribers.append(callback)

    def publish(self, event: StoredBatch) -> None:
        """Call every subscriber with `event`; one that raises is logged, the rest still run."""
        if not event.readings:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("subscriber %r failed", callback)
