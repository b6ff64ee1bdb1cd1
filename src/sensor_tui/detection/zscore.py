"""The seed's detector, kept for comparison: |z| against a rolling window of the last values."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

from sensor_tui.detection.base import NORMAL, Verdict
from sensor_tui.model.faults import FaultKind

THREE_SIGMA = 0.75
"""The seed's |z| > 3 on the score |z| / (1 + |z|)."""


class ZScoreDetector:
    """|z| > 3 against a rolling window of the last 50 values (the seed's rule).

    It flags on the window *before* the value and then adds the value, so a spike enters the
    baseline (the seed's behaviour). Its score is |z| / (1 + |z|), in [0, 1) like every
    detector's but not calibrated (a monotone map of |z| that keeps extreme values apart);
    `confidence` is the flagging threshold on it (0.75: the seed's |z| > 3). Running sums make
    it O(1) per reading; they are recomputed exactly every `window` updates so rounding error
    cannot build up.
    """

    def __init__(
        self,
        window: int = 50,
        confidence: float = THREE_SIGMA,
        min_values: int = 10,
    ) -> None:
        self.window = window
        self.confidence = confidence
        self.min_values = min_values
        self._values: deque[float] = deque(maxlen=window)
        self._sum = 0.0
        self._sumsq = 0.0
        self._since_exact = 0

    def _push(self, value: float) -> None:
        values = self._values
        if len(values) == self.window:
            old = values[0]
            self._sum -= old
            self._sumsq -= old * old
        values.append(value)
        self._sum += value
        self._sumsq += value * value
        self._since_exact += 1
        if self._since_exact >= self.window:
            self._sum = math.fsum(values)
            self._sumsq = math.fsum(v * v for v in values)
            self._since_exact = 0

    def update(self, value: float, timestamp: str) -> Verdict:
        """Flag when the value is far from the window's mean (see the class docstring)."""
        n = len(self._values)
        verdict = NORMAL
        if n >= self.min_values:
            mean = self._sum / n
            variance = self._sumsq / n - mean * mean
            if variance > 1e-18 * (1.0 + mean * mean):
                z = (value - mean) / math.sqrt(variance)
                az = abs(z)
                score = az / (1.0 + az)
                flagged = score >= self.confidence
                verdict = (flagged, score, FaultKind.SPIKE if flagged else None)
            else:
                verdict = (False, 0.0, None)
        self._push(value)
        return verdict

    @property
    def warming_up(self) -> bool:
        """True until the window holds `min_values` readings (no verdict before)."""
        return len(self._values) < self.min_values

    def warm(self, values: Iterable[float]) -> None:
        """Fill the window from history."""
        for value in values:
            self._push(value)
