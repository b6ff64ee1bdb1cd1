"""The default unit detector on the Tennessee Eastman data (skipped where the data is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensor_tui.detection.unit_dynamic import DynamicUnitDetector
from sensor_tui.detection.unit_evaluation import (
    TEP_TAGS,
    evaluate_tep,
    pca_baseline,
    read_tep,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tep"


@pytest.fixture(scope="module")
def tep():  # type: ignore[no-untyped-def]
    data = read_tep(DATA)
    if data is None:
        pytest.skip("the Tennessee Eastman data is not in ../shared/data/tep")
    return data


def test_baseline_pca_reproduces_the_published_comparison(tep) -> None:  # type: ignore[no-untyped-def]
    baseline = pca_baseline(tep)
    assert baseline.mean_detection == pytest.approx(0.831, abs=0.002)
    assert baseline.normal.false_alarm == pytest.approx(0.119, abs=0.001)


def test_unit_detector_alarms_on_faults_and_not_on_normal_operation(tep) -> None:  # type: ignore[no-untyped-def]
    faults = (1, 5, 10, 16, 19)  # a step, a compensated step and three random variations
    summary = evaluate_tep(lambda: DynamicUnitDetector(TEP_TAGS), tep, faults)
    assert summary.normal.alarm_rows <= 1
    assert summary.normal.false_alarm <= 0.05
    for fault in faults:
        figures = summary.per_fault[fault]
        assert figures.detection > 0.85, fault
        assert figures.false_alarm_rows == 0, fault
