"""The hand-over point between the pipeline's writer thread and the UI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sensor_tui.readings import Reading


class Inbox:
    """Readings committed by the writer, waiting for the UI to take them.

    `put` answers whether the inbox was empty, i.e. whether the UI needs waking: that is how many
    commits become one UI update (coalescing) without the writer ever blocking on the UI.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readings: list[Reading] = []

    def put(self, readings: Iterable[Reading]) -> bool:
        """Add readings; True when the inbox was empty before (post one wake-up message)."""
        with self._lock:
            was_empty = not self._readings
            self._readings.extend(readings)
            return was_empty and bool(self._readings)

    def take(self) -> list[Reading]:
        """Everything waiting, oldest first; the inbox is empty afterwards."""
        with self._lock:
            readings, self._readings = self._readings, []
        return readings
