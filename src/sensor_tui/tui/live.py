"""The hand-over from pipeline threads to the UI: readings as soon as they are accepted (detected,
queued), and later word that they were committed (issue 12).

Why both: during a database outage nothing commits for minutes, yet readings and detection go
on. Charts, titles, the rate and the table take readings when accepted, so they keep moving; each
chart remembers which of its readings are not stored yet and marks them until the commit (or the
dead-letter replay after the outage) says they are. The pipeline calls `accepted` before it
queues a batch, so a reading's "accepted" always reaches the UI before its "stored".
"""

from __future__ import annotations

import threading
import time
from collections import deque

from sensor_tui.readings import Reading

RATE_WINDOW = 10.0
"""Seconds the arrival rate is averaged over."""


class LiveFeed:
    """Readings accepted and readings stored, waiting for the UI thread to take them.

    `accepted` and `stored` answer whether the feed was empty, i.e. whether the UI needs waking:
    a burst of batches costs the UI one message and one drain, and a pipeline thread never waits
    for the UI.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accepted: list[Reading] = []
        self._stored: list[Reading] = []
        self._arrivals: deque[tuple[float, int]] = deque()

    def accepted(self, readings: list[Reading]) -> bool:
        """Pipeline thread: readings validated, detected and queued for the writer."""
        now = time.monotonic()
        with self._lock:
            wake = not self._accepted and not self._stored
            self._accepted.extend(readings)
            self._arrivals.append((now, len(readings)))
            return wake and bool(readings)

    def stored(self, readings: list[Reading]) -> bool:
        """Pipeline thread: readings committed (by the writer or a dead-letter replay)."""
        with self._lock:
            wake = not self._accepted and not self._stored
            self._stored.extend(readings)
            return wake and bool(readings)

    def take(self) -> tuple[list[Reading], list[Reading]]:
        """UI thread: (accepted, stored) since the last take, oldest first."""
        with self._lock:
            accepted, self._accepted = self._accepted, []
            stored, self._stored = self._stored, []
        return accepted, stored

    def rate(self) -> float:
        """Readings accepted per second over the last few seconds (stored or not)."""
        now = time.monotonic()
        with self._lock:
            while self._arrivals and now - self._arrivals[0][0] > RATE_WINDOW:
                self._arrivals.popleft()
            total = sum(n for _, n in self._arrivals)
        return total / RATE_WINDOW
