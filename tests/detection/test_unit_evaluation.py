"""The scoring of unit detectors, and the limits they learn, on arrays made by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_tui.detection.unit_evaluation import (
    Figures,
    alarm_episodes,
    score_flags,
    summarise,
    tep_figures,
)
from sensor_tui.detection.unit_limits import control_limit, exponential_tail_quantile
from sensor_tui.detection.unit_persistence import Persistence


def flags(text: str) -> np.ndarray:
    return np.array([c == "x" for c in text])


def test_episodes_are_contiguous_flagged_runs() -> None:
    assert alarm_episodes(flags("..xx.x...xxx")) == [(2, 3), (5, 5), (9, 11)]
    assert alarm_episodes(flags("x..x")) == [(0, 0), (3, 3)]
    assert alarm_episodes(flags("....")) == []


def test_score_counts_detection_false_alarms_delay_and_rows() -> None:
    figures = score_flags(flags("x.....xxx.xx"), onset=4)
    assert figures == Figures(
        detection=5 / 8, false_alarm=1 / 4, delay=2, alarm_rows=3, false_alarm_rows=1
    )
    never = score_flags(flags("...."), onset=2)
    assert never.delay is None and never.detection == 0.0


def test_summary_averages_only_the_detectable_faults() -> None:
    per_fault = {
        1: Figures(1.0, 0.0, 3, 1, 0),
        3: Figures(0.0, 0.5, None, 0, 0),
        2: Figures(0.5, 0.0, None, 0, 0),
    }
    summary = summarise(per_fault, Figures(0.0, 0.0, None, 0, 0), detectable=(1, 2))
    assert summary.mean_detection == pytest.approx(0.75)
    assert summary.faults_alarmed == 1
    assert summary.far_before_onset == pytest.approx(0.5 / 3)


def test_exponential_tail_extends_to_the_rare_quantile() -> None:
    values = np.random.default_rng(1).exponential(size=20_000)
    assert exponential_tail_quantile(values, 1e-4) == pytest.approx(np.log(1e4), rel=0.1)
    assert control_limit(values, 0.99, 0.0) == pytest.approx(np.log(100), rel=0.1)
    assert control_limit(values, 0.99, 1e-4) > control_limit(values, 0.99, 1e-3)


def test_persistence_needs_on_delay_to_start_and_off_delay_to_end() -> None:
    persistence = Persistence(on_delay=2, off_delay=3)
    steps = [persistence.step(c == "x") for c in "x.xxx..x...x"]
    assert "".join("A" if s else "." for s in steps) == "...AAAAAAA.."


def test_tep_figures_carry_the_keys_the_benchmark_writes() -> None:
    per_fault = {f: Figures(0.9, 0.0, 5, 1, 0) for f in range(1, 22)}
    normal = Figures(0.0, 0.01, None, 1, 1)
    summary = summarise(per_fault, normal, (0.5, 0.2), 10_000)
    figures = tep_figures(summary, summary)
    assert figures["mean_detection"] == pytest.approx(0.9)
    assert figures["far_d00_te"] == pytest.approx(1.0)  # percent
    assert figures["faults_alarmed"] == 18
    assert figures["false_alarm_rows_d00_te"] == 1
    assert figures["us_per_observation"] == pytest.approx(50.0)
    assert figures["cpu_us_per_observation"] == pytest.approx(20.0)
    assert set(figures["pca"]) >= {"mean_detection", "far_d00_te"}
