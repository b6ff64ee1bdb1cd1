"""What the writer thread writes besides readings: events, alarms, shelving, alarm notices.

Kept apart from `writer.py` so that module stays one job (the queue, group commit, retries).
Everything here runs on the writer thread, on its connection, except `add_event`, which any
thread may call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.model.counters import Counters
from sensor_tui.model.events import Event
from sensor_tui.pipeline.detect import DetectionStage
from sensor_tui.storage import Store, StoreUnavailable

log = logging.getLogger(__name__)

IDLE_WAKE = 1.0
"""Longest the writer blocks without work: its housekeeping (shelved alarms that are due,
11) runs at least this often."""


class SideWrites:
    """Events waiting to be written, alarm rows, due shelves and the alarm-change listener."""

    def __init__(self, detection: DetectionStage, counters: Counters) -> None:
        self._detection = detection
        self._counters = counters
        self._events: list[Event] = []
        self._events_lock = threading.Lock()
        self._shelves_checked = 0.0
        self.on_alarm_changes: Callable[[list[AlarmChange]], None] | None = None
        """Told (on the writer thread) of the alarm rows each commit changed."""

    def add_event(self, event: Event) -> None:
        """Queue a fault or outage event for the next write (from any thread)."""
        with self._events_lock:
            self._events.append(event)

    def write_events(self, store: Store) -> bool:
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

    def write_alarms(self, store: Store) -> None:
        """Upsert changed alarms (and what the units wait to store) on their own (the data
        write carries them when there is one)."""
        changed, rows = self._detection.take_alarms()
        units = self._detection.units.take()
        if not rows and not units:
            return
        try:
            store.upsert_alarms(rows, units)
        except StoreUnavailable:
            self._detection.requeue_alarms(changed)
            self._detection.units.requeue(units)
        except Exception:
            log.exception("alarm write failed on an unexpected error; rolled back")
            self._counters.add(write_errors=1)
            self.write_apart(store, [*rows, *units.alarms])

    def write_apart(self, store: Store, rows: list[dict[str, Any]]) -> None:
        """After an unexpected error: each alarm in its own transaction, so one bad row costs
        only itself; those that fail again are dropped, counted and logged, never silently."""
        dropped = 0
        for row in rows:
            try:
                store.upsert_alarms([row])
            except Exception:
                dropped += 1
                log.exception("alarm %s dropped: it cannot be written", row.get("id"))
        if dropped:
            self._counters.add(alarms_dropped=dropped)

    def expire_shelves(self, store: Store) -> None:
        """Unshelve alarms whose shelving time is up (at most once a second)."""
        now = time.monotonic()
        if now - self._shelves_checked < IDLE_WAKE:
            return
        self._shelves_checked = now
        try:
            store.expire_shelves()
        except StoreUnavailable as exc:
            log.warning("cannot unshelve due alarms yet: %s", exc)
        except Exception:  # a bug here must not end the writer thread
            log.exception("unshelving due alarms failed")

    def publish_alarms(self, store: Store) -> None:
        """Hand the alarm rows the commits changed to the listener (notifier, UI)."""
        changes = store.take_alarm_changes()
        if changes and self.on_alarm_changes is not None:
            try:
                self.on_alarm_changes(changes)
            except Exception:  # a listener's bug must not cost the writer thread
                log.exception("alarm listener failed")


def end_open_events(store: Store) -> bool:
    """End the events a previous run left open; False (logged) while the file is busy."""
    try:
        if ended := store.end_open_events():
            log.info("ended %d fault or outage events left open by a previous run", ended)
    except StoreUnavailable as exc:
        log.warning("cannot end the events a previous run left open yet: %s", exc)
        return False
    return True
