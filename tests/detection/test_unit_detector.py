"""The default unit detector on a generated fermenter: relations learned, broken ones alarmed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sensor_tui.detection.unit_dynamic import DynamicSettings, DynamicUnitDetector
from sensor_tui.detection.unit_evaluation import alarm_episodes, run_detector
from sensor_tui.detection.unit_scenarios import FERMENTER_TAGS, fermenter, normal_range


def fitted(seed: int = 0, settings: DynamicSettings | None = None) -> DynamicUnitDetector:
    detector = DynamicUnitDetector(FERMENTER_TAGS, settings)
    detector.fit(fermenter(1000, seed).observations)
    return detector


def test_relation_break_with_every_tag_in_range_is_alarmed_as_a_relation() -> None:
    detector = fitted()
    scenario = fermenter(1200, 7, "relation", 400, 800)
    low, high = normal_range(fermenter(1000, 0).observations)
    faulty = scenario.observations[400:800]
    inside = ((faulty >= low) & (faulty <= high)).mean(axis=0)
    assert (inside > 0.97).all(), "each tag alone stays in its normal range"
    run = run_detector(detector, scenario.observations)
    assert run.flags[400:800].mean() > 0.6
    kinds = [k for k in run.kinds[400:800] if k]
    assert kinds.count("relation") > 0.9 * len(kinds)


def test_normal_operation_raises_at_most_one_short_alarm() -> None:
    run = run_detector(fitted(), fermenter(1200, 11).observations)
    assert len(alarm_episodes(run.flags)) <= 1
    assert run.flags.mean() < 0.02


@pytest.mark.parametrize(("fault", "culprit"), [("relation", "ph"), ("drift", "agitation")])
def test_contributions_point_at_the_tag_that_broke_its_relation(fault: str, culprit: str) -> None:
    detector = fitted()
    scenario = fermenter(900, 5, fault, 300, 900, ramp=50)
    top = []
    for observation in scenario.observations[400:]:
        verdict = detector.update(observation)
        if verdict.is_anomaly:
            assert sum(verdict.contributions.values()) == pytest.approx(1.0)
            top.append(max(verdict.contributions, key=lambda tag: verdict.contributions[tag]))
    assert top and top.count(culprit) > 0.8 * len(top)


def test_slow_adaptation_does_not_absorb_a_slow_drift() -> None:
    detector = fitted(settings=DynamicSettings(adapt_rate=0.01))  # twenty times the default
    scenario = fermenter(2400, 3, "drift", 600, 2400, ramp=600)
    run = run_detector(detector, scenario.observations)
    assert run.flags[:600].mean() < 0.05
    assert run.flags[-600:].mean() > 0.8, "the drift's last 600 observations are still flagged"


def test_state_round_trips_through_json_and_judges_identically() -> None:
    detector = fitted()
    stream = fermenter(300, 9, "relation", 100, 300).observations
    for observation in stream[:50]:
        detector.update(observation)  # adapts the mean a little
    state = detector.state()
    restored = DynamicUnitDetector(FERMENTER_TAGS)
    restored.load_state(json.loads(json.dumps(state)))
    assert restored.state() == state
    detector.load_state(state)  # both start the stream afresh
    for observation in stream:
        assert restored.update(observation) == detector.update(observation)


def test_bad_observations_are_refused_without_changing_the_detector() -> None:
    detector = fitted()
    before = detector.state()
    with pytest.raises(ValueError, match="non-finite"):
        detector.update(np.array([37.0, np.nan, 300.0]))
    with pytest.raises(ValueError, match="expected 3 values"):
        detector.update(np.array([37.0, 6.8]))
    assert detector.state() == before


def test_a_reference_too_short_or_of_the_wrong_width_is_refused() -> None:
    detector = DynamicUnitDetector(FERMENTER_TAGS)
    with pytest.raises(ValueError, match="too short"):
        detector.fit(fermenter(10, 0).observations)
    with pytest.raises(ValueError, match="3 columns"):
        detector.fit(np.zeros((100, 2)))
    assert not detector.fitted
    assert detector.update(np.array([37.0, 6.8, 300.0])).is_anomaly is False


def test_state_of_other_tags_is_refused() -> None:
    state = fitted().state()
    other = DynamicUnitDetector(("a", "b", "c"))
    with pytest.raises(ValueError, match="tags"):
        other.load_state(state)


def test_one_noisy_observation_does_not_open_an_alarm() -> None:
    detector = fitted()
    stream = fermenter(400, 13).observations.copy()
    spread = fermenter(1000, 0).observations.std(axis=0)
    stream[200, 1] += 6 * spread[1]  # one pH reading six standard deviations off
    run = run_detector(detector, stream)
    assert not run.flags.any()


def test_the_alarm_ends_soon_after_the_fault_ends() -> None:
    detector = fitted()
    scenario = fermenter(1200, 7, "drift", 400, 800, ramp=20)
    run = run_detector(detector, scenario.observations)
    episode = next(e for e in alarm_episodes(run.flags) if e[0] <= 799 <= e[1])
    assert episode[1] - 799 <= 30, "the alarm outlives its fault by at most 30 observations"


def test_after_a_restart_the_first_window_is_not_judged_until_full() -> None:
    detector = fitted()
    restored = DynamicUnitDetector(FERMENTER_TAGS)
    restored.load_state(detector.state())
    far_off = np.array([45.0, 5.0, 500.0])  # nothing like the reference
    first, second, third = (restored.update(far_off) for _ in range(3))
    assert not first.is_anomaly and not second.is_anomaly
    assert first.statistic == second.statistic  # the normal level it starts from
    assert third.statistic > first.statistic


def test_tags_that_always_agree_alarm_when_they_disagree_within_range() -> None:
    rng = np.random.default_rng(2)
    flow = np.cumsum(rng.normal(size=600)) * 0.1
    reference = np.column_stack([flow, flow, rng.normal(size=600)])  # two meters, one flow
    detector = DynamicUnitDetector(("meter_a", "meter_b", "pressure"))
    detector.fit(reference)
    stream = reference[:200].copy()
    stream[100:, 1] += 0.05 * flow.std()  # one meter reads 5% of the spread high
    run = run_detector(detector, stream)
    assert not run.flags[:100].any()
    assert run.flags[110:].all()
    assert {k for k in run.kinds[110:]} == {"relation"}


def test_a_unit_of_one_tag_is_judged_too() -> None:
    rng = np.random.default_rng(4)
    detector = DynamicUnitDetector(("level",))
    detector.fit(rng.normal(size=(300, 1)))
    normal = run_detector(detector, rng.normal(size=(300, 1)))
    shifted = run_detector(detector, rng.normal(size=(100, 1)) + 3.0)
    assert not normal.flags.any()
    assert shifted.flags[20:].all()
