"""The detector protocol's optional parts: warming with timestamps, saying "warming up".

A plug-in detector need only `update` and `warm`; the built-in ones offer more, and callers ask
through the named protocols rather than by attribute name.
"""

from __future__ import annotations

from collections.abc import Iterable

from sensor_tui.detection.adaptive import AdaptiveDetector
from sensor_tui.detection.base import (
    NORMAL,
    KnowsWarmUp,
    Verdict,
    WarmsWithTime,
    is_warming_up,
    warm_from,
)
from sensor_tui.detection.zscore import ZScoreDetector

HISTORY = [
    (20.0 + (i % 7) * 0.1, f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000000Z") for i in range(600)
]


class PlugIn:
    """The least a detector may be: `update` and `warm`."""

    def __init__(self) -> None:
        self.warmed: list[float] = []

    def update(self, value: float, timestamp: str) -> Verdict:
        return NORMAL

    def warm(self, values: Iterable[float]) -> None:
        self.warmed.extend(values)


def test_the_built_in_detectors_offer_the_optional_parts() -> None:
    assert isinstance(AdaptiveDetector(), WarmsWithTime)
    assert isinstance(AdaptiveDetector(), KnowsWarmUp)
    assert isinstance(ZScoreDetector(), KnowsWarmUp)
    assert not isinstance(PlugIn(), WarmsWithTime | KnowsWarmUp)


def test_a_plug_in_is_warmed_with_values_and_taken_as_judging() -> None:
    plug = PlugIn()
    warm_from(plug, HISTORY)
    assert plug.warmed == [value for value, _ in HISTORY]
    assert is_warming_up(plug) is False


def test_warming_ends_the_warm_up_of_a_detector_that_says_it() -> None:
    for detector in (AdaptiveDetector(), ZScoreDetector()):
        assert is_warming_up(detector) is True
        warm_from(detector, HISTORY)
        assert is_warming_up(detector) is False
