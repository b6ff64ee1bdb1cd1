"""The seed's z-score detector, kept for comparison."""

from __future__ import annotations

import random

from sensor_tui.detection import DETECTORS, ZScoreDetector, make_detector
from sensor_tui.model.tags import Tag


def test_flags_a_spike_with_its_kind() -> None:
    detector = ZScoreDetector()
    rng = random.Random(2)
    for _ in range(60):
        detector.update(37.5 + rng.gauss(0, 0.1), "")
    flagged, score, kind = detector.update(45.0, "")
    assert flagged and score > 0.75 and kind == "spike"  # |z| / (1 + |z|) > 0.75: |z| > 3


def test_flat_signal_has_no_score_instead_of_dividing_by_zero() -> None:
    detector = ZScoreDetector()
    for _ in range(60):
        assert detector.update(7.0, "")[0] is False


def test_warm_fills_the_window_without_flagging() -> None:
    detector = ZScoreDetector()
    detector.warm([37.5 + 0.1 * (i % 3) for i in range(50)])
    assert detector.update(45.0, "")[0]


def test_registry_by_name() -> None:
    tag = Tag("t", "", (0, 1), (-1, 2), detector="zscore")
    assert isinstance(make_detector(tag), ZScoreDetector)
    assert "default" in DETECTORS
