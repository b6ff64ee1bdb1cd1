"""The hand-over point between the pipeline's writer thread and the UI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from sensor_tui.model.readings import Reading

MAX_READINGS = 100_000
"""Readings the inbox holds for a UI that has fallen behind (a few MB; minutes at 1 kHz)."""


class Inbox:
    """Readings committed by the writer, waiting for the UI to take them; bounded.

    `put` answers whether the inbox was empty, i.e. whether the UI needs waking: that is how many
    commits become one UI update (coalescing) without the writer ever blocking on the UI.

    When the UI falls behind (a stalled terminal, a burst of HTTP traffic) the inbox coalesces
    rather than grows without bound: it keeps the newest half of its readings, which
    are what the live charts show, and every anomaly among the rest (up to a quarter of the
    bound), which the anomaly table and the toasts must not miss. Everything stays in SQLite;
    `dropped` counts what only the UI missed. Halving makes the cost of coalescing, amortised
    over the readings put, constant.
    """

    def __init__(self, max_readings: int = MAX_READINGS) -> None:
        self.max_readings = max(4, max_readings)
        self.dropped = 0
        """Readings coalesced away since the start (never shown live; they are stored)."""
        self._lock = threading.Lock()
        self._readings: list[Reading] = []

    def put(self, readings: Iterable[Reading]) -> bool:
        """Add readings; True when the inbox was empty before (post one wake-up message)."""
        with self._lock:
            was_empty = not self._readings
            self._readings.extend(readings)
            if len(self._readings) > self.max_readings:
                self._coalesce()
            return was_empty and bool(self._readings)

    def _coalesce(self) -> None:
        """Keep the newest half and the older anomalies (the newest of them), in order."""
        keep = self.max_readings // 2
        older, newest = self._readings[:-keep], self._readings[-keep:]
        anomalies = [r for r in older if r.is_anomaly][-(self.max_readings // 4) :]
        self.dropped += len(older) - len(anomalies)
        self._readings = anomalies + newest

    def take(self) -> list[Reading]:
        """Everything waiting, oldest first; the inbox is empty afterwards."""
        with self._lock:
            readings, self._readings = self._readings, []
        return readings

    def __len__(self) -> int:
        with self._lock:
            return len(self._readings)
