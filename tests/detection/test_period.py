"""Issue 9: a tag's own period, learned from its history (`sensor_tui.detection.period`).

A cycle that repeats says what the reading should be now: what it was one, two and three periods
ago. A cycle that flattens for one period, with no change of level or noise, is seen only
against that; a cycle that goes on as usual raises nothing.
"""

from __future__ import annotations

import math
import random

import numpy as np

from sensor_tui.detection import AdaptiveDetector
from sensor_tui.detection.period import PeriodModel, find_period

PERIOD = 96


def _cycle(n: int, seed: int, flat: range = range(0)) -> list[float]:
    """A cycle of PERIOD readings (amplitude 10, noise 0.5); flat (its mean) during `flat`."""
    rng = random.Random(seed)
    return [
        50.0
        + (0.0 if i in flat else 10.0 * math.sin(2.0 * math.pi * i / PERIOD))
        + rng.gauss(0.0, 0.5)
        for i in range(n)
    ]


def test_period_is_found_from_the_readings_alone() -> None:
    """The period of a cycle on a trend is found without timestamps; noise has none."""
    rng = np.random.default_rng(3)
    t = np.arange(3000)
    cycle = np.sin(2 * np.pi * t / PERIOD) + 0.3 * rng.standard_normal(3000) + 0.002 * t
    assert find_period(cycle)[0] == PERIOD
    assert find_period(rng.standard_normal(3000).cumsum())[0] == 0
    model = PeriodModel()
    for value in _cycle(2100, 4):
        model.decades(value)
    assert model.period == PERIOD


def _flags(values: list[float]) -> list[tuple[int, str | None]]:
    detector = AdaptiveDetector()
    out = []
    for i, value in enumerate(values):
        flagged, _, kind = detector.update(value, "")
        if flagged:
            out.append((i, kind))
    return out


def test_a_cycle_that_flattens_is_a_broken_pattern() -> None:
    """One period flattened to its mean (level and noise unchanged) is flagged within it, as a
    drift (the contract's kinds: a level that left its usual course); the same cycle without
    the flat period raises nothing. Before, it was seen only when the cycle came back."""
    n, start = 4000, 3000
    assert _flags(_cycle(n, 5)) == []
    flags = _flags(_cycle(n, 5, range(start, start + PERIOD)))
    assert flags, "the flattened cycle was not seen"
    first, kind = flags[0]
    assert start <= first < start + PERIOD and kind == "drift"
