"""Anomaly detectors: one small stateful object per tag, fed one value at a time.

The pipeline's writer thread calls `update` for every reading in commit order, so a detector sees
each tag's stream exactly as it is stored. The interface is deliberately tiny, so that a better
detector can replace the seed's z-score by name in the configuration (`detector = "..."`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from sensor_tui.tags import Tag

Verdict = tuple[bool, float | None, str | None]
"""(is_anomaly, score, kind): kind is None unless is_anomaly; score explains the decision."""

NORMAL: Verdict = (False, None, None)


class Detector(Protocol):
    """What the pipeline needs from a detector."""

    def update(self, value: float, timestamp: str) -> Verdict:
        """Score the next reading of this tag (and learn from it)."""
        ...

    def warm(self, values: Iterable[float]) -> None:
        """Learn from stored history without flagging, so a restart has no blind spot."""
        ...


class ZScoreDetector:
    """The seed's detector: |z| > threshold against a rolling window of the last values.

    Kept for comparison. It flags on the window *before* the value and then adds the value, so a
    spike enters the baseline (the seed's behaviour). Running sums make it O(1) per reading; they
    are recomputed exactly every `window` updates so rounding error cannot build up.
    """

    def __init__(self, window: int = 50, threshold: float = 3.0, min_values: int = 10) -> None:
        self.window = window
        self.threshold = threshold
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
        """Flag when the value is more than `threshold` standard deviations from the window."""
        n = len(self._values)
        verdict = NORMAL
        if n >= self.min_values:
            mean = self._sum / n
            variance = self._sumsq / n - mean * mean
            if variance > 1e-18 * (1.0 + mean * mean):
                z = (value - mean) / math.sqrt(variance)
                flagged = abs(z) > self.threshold
                verdict = (flagged, z, "spike" if flagged else None)
        self._push(value)
        return verdict

    def warm(self, values: Iterable[float]) -> None:
        """Fill the window from history."""
        for value in values:
            self._push(value)


DetectorFactory = Callable[[Tag], Detector]

# Imported here, not at the top: the robust detector's module needs nothing from this one at
# run time, and keeping the protocol first makes this file the one place that names detectors.
from sensor_tui.detection_robust import RobustDetector  # noqa: E402

DETECTORS: dict[str, DetectorFactory] = {
    "zscore": lambda tag: ZScoreDetector(),
    "robust": lambda tag: RobustDetector(band=tag.normal),
}
DETECTORS["default"] = DETECTORS["robust"]
"""Detectors by the name a tag's `detector` key (or the top-level `detector`) gives."""


def make_detector(tag: Tag) -> Detector:
    """The detector the tag's configuration names; ValueError names the known ones."""
    factory = DETECTORS.get(tag.detector)
    if factory is None:
        known = ", ".join(sorted(DETECTORS))
        raise ValueError(f"tag {tag.name}: unknown detector {tag.detector!r} (known: {known})")
    return factory(tag)
