"""The hand-over from pipeline threads to the UI: readings as soon as they are accepted (detected,
queued), and later word that they were committed.

Why both: during a database outage nothing commits for minutes, yet readings and detection go
on. Charts, titles, the rate and the table take readings when accepted, so they keep moving; each
chart remembers which of its readings are not stored yet and marks them until the commit (or the
dead-letter replay after the outage) says they are. The pipeline tells "accepted" before it
queues a batch, so a reading's "accepted" always reaches the UI before its "stored".

Both halves are bounded `Inbox`es: a UI that falls behind loses live points, never
memory; `stored_dropped` tells the UI that some commits were coalesced away, so it can clear the
marks they would have cleared.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable

from sensor_tui.model.readings import Reading
from sensor_tui.tui.inbox import MAX_READINGS, reading_inbox

RATE_WINDOW = 10.0
"""Seconds the arrival rate is averaged over."""


class LiveFeed:
    """Readings accepted and readings stored, waiting for the UI thread to take them.

    `accepted` and `stored` answer whether the UI needs waking (the first of a burst on that side):
    a burst of batches costs the UI a message and a drain, and a pipeline thread never waits.
    """

    def __init__(self, max_readings: int | None = None) -> None:
        bound = MAX_READINGS if max_readings is None else max_readings
        self._accepted = reading_inbox(bound)
        self._stored = reading_inbox(bound)
        self._lock = threading.Lock()
        self._arrivals: deque[tuple[float, int]] = deque()
        self._stored_dropped_seen = 0

    def accepted(self, readings: list[Reading]) -> bool:
        """Pipeline thread: readings validated, detected and queued for the writer."""
        with self._lock:
            self._arrivals.append((time.monotonic(), len(readings)))
        return self._accepted.put(readings)

    def stored(self, readings: Iterable[Reading]) -> bool:
        """Pipeline thread: readings committed (by the writer or a dead-letter replay)."""
        return self._stored.put(readings)

    def take(self) -> tuple[list[Reading], list[Reading], bool]:
        """UI thread: (accepted, stored, some commits were coalesced away) since the last take."""
        accepted = self._accepted.take()
        stored = self._stored.take()
        dropped = self._stored.dropped != self._stored_dropped_seen
        self._stored_dropped_seen = self._stored.dropped
        return accepted, stored, dropped

    def rate(self) -> float:
        """Readings accepted per second over the last few seconds (stored or not)."""
        now = time.monotonic()
        with self._lock:
            while self._arrivals and now - self._arrivals[0][0] > RATE_WINDOW:
                self._arrivals.popleft()
            total = sum(n for _, n in self._arrivals)
        return total / RATE_WINDOW
