"""What the default unit detector learns besides its model: its knobs, its limits, its cap.

Kept apart from the streaming detector (`unit_dynamic`) because these are fitted once per
reference, from held-out blocks of it, while the detector's own module is the per-observation
(and per-block) judging that an import runs for every timestamp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensor_tui.detection.unit_limits import control_limit
from sensor_tui.detection.unit_model import held_out_parts, smooth


@dataclass(frozen=True, slots=True)
class DynamicSettings:
    """The detector's knobs; the defaults are the measured choice (`docs/unit-detection.md`)."""

    lags: int = 2
    """Past observations stacked with each one (fewer when the reference is too short)."""
    smoothing: float = 0.1
    """Weight of the newest distance in the average (the statistic)."""
    folds: int = 10
    """Blocks of the reference, each judged by a model learned from the others."""
    quantile: float = 0.99
    """The limit is at least this quantile of the held-out statistic..."""
    false_rate: float = 1e-6
    """...and at least where the held-out tail, extended, is crossed this often."""
    spike_share: float = 1.0
    """How far towards the limit one glitch may push the average (0: no cap)."""
    on_delay: int = 2
    """Observations in a row above the limit that open an alarm."""
    off_delay: int = 3
    """Observations in a row below the limit that end it."""
    adapt_rate: float = 0.0005
    """Forgetting factor of the learned mean, while the statistic is below its median."""


@dataclass(slots=True)
class Limits:
    """What `learn_limits` learns from the held-out blocks of the reference."""

    limit: float
    """The control limit of the statistic."""
    adapt_below: float
    """The held-out statistic's median: the learned mean adapts only below it."""
    expected: tuple[float, float]
    """Mean held-out major and minor parts: where the smoothed parts start."""
    relation_limit: float
    """The same quantile of the smoothed minor part alone: above it, the tags broke their
    relations ("relation", Q's role); a flagged observation below it is a "shift"."""


def learn_limits(reference: np.ndarray, lags: int, settings: DynamicSettings) -> Limits:
    """The control limit and the adaptation bound from held-out blocks of the reference."""
    parts = held_out_parts(reference, lags, settings.folds)
    expected = np.vstack(parts).mean(axis=0)
    start = float(expected.sum())
    smoothed = np.concatenate([smooth(p.sum(axis=1), settings.smoothing, start) for p in parts])
    minor = np.concatenate([smooth(p[:, 1], settings.smoothing, expected[1]) for p in parts])
    return Limits(
        control_limit(smoothed, settings.quantile, settings.false_rate),
        float(np.quantile(smoothed, 0.5)),
        (float(expected[0]), float(expected[1])),
        control_limit(minor, settings.quantile, settings.false_rate),
    )


def spike_cap(limits: Limits, settings: DynamicSettings, lags: int) -> float:
    """The largest distance one window may feed the average: so much that one glitch, which
    stays in the window for `lags` + 1 observations, moves the average at most `spike_share`
    of the way from its normal level to the limit. One glitch then cannot open an alarm, and a
    large fault's average stays near the limit rather than rising a hundredfold, so that it
    falls back below the limit soon after the fault ends."""
    expected = sum(limits.expected)
    if settings.spike_share <= 0.0:
        return math.inf
    steps = settings.smoothing * (lags + 1)
    return expected + settings.spike_share * (limits.limit - expected) / steps
