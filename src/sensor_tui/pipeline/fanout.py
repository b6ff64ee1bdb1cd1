"""The one place that tells subscribers about stored readings, each call guarded.

Called from the writer thread only (or, before the threads start, from the thread that starts
the pipeline), so a subscriber never runs on two threads at once. A subscriber that raises is
logged and skipped: a bug in the UI must never cost the writer thread or another subscriber.
"""

from __future__ import annotations

import logging
import threading

from sensor_tui.pipeline.batches import StoredBatch, Subscriber

log = logging.getLogger(__name__)


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
