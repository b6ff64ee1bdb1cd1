"""Unit detectors are plug-ins chosen by name."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_tui.detection.unit_dynamic import DynamicUnitDetector
from sensor_tui.detection.unit_pca import PCAUnitDetector
from sensor_tui.detection.unit_registry import UNIT_DETECTORS, make_unit_detector
from sensor_tui.detection.unit_scenarios import FERMENTER_TAGS, fermenter


def test_default_is_the_dynamic_detector_and_every_name_builds_one_for_the_tags() -> None:
    assert isinstance(make_unit_detector("default", FERMENTER_TAGS), DynamicUnitDetector)
    assert isinstance(make_unit_detector("pca", FERMENTER_TAGS), PCAUnitDetector)
    reference = fermenter(600, 0).observations
    for name in UNIT_DETECTORS:
        detector = make_unit_detector(name, FERMENTER_TAGS)
        assert detector.tags == FERMENTER_TAGS
        assert not detector.fitted
        detector.fit(reference)
        assert detector.fitted
        verdict = detector.update(reference[-1])
        assert verdict.limit > 0.0


def test_an_unknown_name_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: default, dynamic-pca, pca"):
        make_unit_detector("mset", FERMENTER_TAGS)


def test_pca_baseline_state_round_trips_and_flags_a_broken_relation() -> None:
    detector = PCAUnitDetector(FERMENTER_TAGS, components=1)
    detector.fit(fermenter(1000, 0).observations)
    restored = PCAUnitDetector(FERMENTER_TAGS)
    restored.load_state(detector.state())
    assert restored.state() == detector.state()
    faulty = fermenter(800, 4, "relation", 400, 800).observations
    verdicts = [restored.update(x) for x in faulty]
    assert np.mean([v.is_anomaly for v in verdicts[400:]]) > 0.1  # static: it misses the lag
    assert np.mean([v.is_anomaly for v in verdicts[:400]]) < 0.05
