"""Judging many unit observations at once gives what judging them one by one gives.

An import judges its observations in blocks (`update_many`); live readings and plug-ins without
a batch method go one by one (`update`). Both must raise the same alarms with the same
statistics, contributions and adapted reference, on series with every kind of fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from sensor_tui.detection.unit_base import UnitVerdict
from sensor_tui.detection.unit_dynamic import DynamicUnitDetector
from sensor_tui.detection.unit_registry import UNIT_DETECTORS
from sensor_tui.detection.unit_scenarios import FERMENTER_TAGS, fermenter
from sensor_tui.model.tags import Config
from sensor_tui.pipeline.units import UnitStage
from tests.alarm_helpers import scenario

RTOL = 1e-9


def fitted(seed: int = 0) -> DynamicUnitDetector:
    detector = DynamicUnitDetector(FERMENTER_TAGS)
    detector.fit(fermenter(600, 100 + seed).observations)
    return detector


def in_chunks(detector: DynamicUnitDetector, rows: np.ndarray, sizes: Sequence[int]):
    """update_many over consecutive chunks of these sizes (cycled) until the rows run out."""
    verdicts: list[UnitVerdict] = []
    first, i = 0, 0
    while first < len(rows):
        size = sizes[i % len(sizes)]
        verdicts += detector.update_many(rows[first : first + size])
        first, i = first + size, i + 1
    return verdicts


def assert_same(one: list[UnitVerdict], many: list[UnitVerdict]) -> None:
    assert len(one) == len(many)
    assert [v.is_anomaly for v in one] == [v.is_anomaly for v in many]
    assert [v.kind for v in one] == [v.kind for v in many]
    assert [v.limit for v in one] == [v.limit for v in many]
    np.testing.assert_allclose([v.statistic for v in many], [v.statistic for v in one], rtol=RTOL)
    for a, b in zip(one, many, strict=True):
        assert a.contributions.keys() == b.contributions.keys()
        for tag, share in a.contributions.items():
            assert b.contributions[tag] == pytest.approx(share, rel=RTOL, abs=1e-12)


@pytest.mark.parametrize("fault", [None, "relation", "drift", "step"])
@pytest.mark.parametrize("sizes", [(5000,), (1, 2, 700, 3, 1500)])
def test_many_at_once_equals_one_by_one(fault: str | None, sizes: tuple[int, ...]) -> None:
    series = fermenter(4000, 3, fault, 1500, 2500, ramp=300).observations
    one, many = fitted(), fitted()
    by_one = [one.update(row) for row in series]
    by_many = in_chunks(many, series, sizes)
    assert_same(by_one, by_many)
    if fault is not None:
        assert any(v.is_anomaly for v in by_one), "the fault is alarmed: the test can fail"
    assert one._model is not None and many._model is not None
    np.testing.assert_allclose(many._model.mean, one._model.mean, rtol=RTOL, atol=1e-12)
    # what follows is judged alike too: the stream state (window, average, delays) carried over
    after = fermenter(300, 9, "relation", 100, 200).observations
    assert_same([one.update(row) for row in after], many.update_many(after))


def test_adaptation_moves_the_reference_as_one_by_one() -> None:
    """A slow level change inside the limits is followed by the adapted mean (the recurrence
    the batch solves in closed form), so the test cannot pass with adaptation left out."""
    series = fermenter(6000, 5).observations + np.linspace(0.0, 0.05, 6000)[:, None]
    one, many = fitted(1), fitted(1)
    start = one._model.mean.copy() if one._model is not None else None
    by_one = [one.update(row) for row in series]
    assert_same(by_one, many.update_many(series))
    assert one._model is not None and many._model is not None
    assert np.abs(one._model.mean - start).max() > 1e-3
    np.testing.assert_allclose(many._model.mean, one._model.mean, rtol=RTOL, atol=1e-12)


def test_a_batch_with_a_missing_value_is_refused_and_changes_nothing() -> None:
    detector, twin = fitted(), fitted()
    series = fermenter(50, 2).observations
    bad = series.copy()
    bad[30, 1] = np.nan
    with pytest.raises(ValueError):
        detector.update_many(bad)
    assert_same([twin.update(row) for row in series], detector.update_many(series))


class OneByOne:
    """A plug-in with only the protocol's `update` (no batch method): judged one by one."""

    def __init__(self, tags: Sequence[str]) -> None:
        self._inner = DynamicUnitDetector(tags)
        self.tags = self._inner.tags

    @property
    def fitted(self) -> bool:
        return self._inner.fitted

    def fit(self, reference: np.ndarray) -> None:
        self._inner.fit(reference)

    def update(self, observation: np.ndarray) -> UnitVerdict:
        return self._inner.update(observation)

    def state(self) -> dict[str, Any]:
        return self._inner.state()

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._inner.load_state(state)


def stage_rows(config: Config, readings: list[Any], chunk: int) -> tuple[list, list]:
    stage = UnitStage(config)
    for first in range(0, len(readings), chunk):
        stage.observe(readings[first : first + chunk])
    stage.close_all()
    rows = stage.take()
    alarms = sorted(rows.alarms, key=lambda row: row["id"])
    return rows.scores, alarms


def test_the_unit_stage_stores_the_same_scores_and_alarms_either_way(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(UNIT_DETECTORS, "one-by-one", OneByOne)
    unit = replace(config.units[0], warmup=300)
    batched = replace(config, units=(unit,))
    single = replace(config, units=(replace(unit, detector="one-by-one"),))
    faults = {900: ("fermenter_ph", "decouple", 300), 2000: ("fermenter_temp", "drift", 400)}
    start = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    readings, _ = scenario(batched, faults, 3000, start=start)
    scores, alarms = stage_rows(batched, readings, 5000)
    scores_one, alarms_one = stage_rows(single, readings, 1)
    assert len(alarms) >= 1 and any(row[4] for row in scores)
    assert [row[:2] + row[3:] for row in scores] == [row[:2] + row[3:] for row in scores_one]
    np.testing.assert_allclose([r[2] for r in scores], [r[2] for r in scores_one], rtol=RTOL)
    assert [a["id"] for a in alarms] == [a["id"] for a in alarms_one]
    for a, b in zip(alarms, alarms_one, strict=True):
        assert {k: v for k, v in a.items() if k != "contributions"} == {
            k: v for k, v in b.items() if k != "contributions"
        }


def test_observations_formed_per_chunk_are_those_formed_reading_by_reading() -> None:
    """Tags arriving at different moments, one tag silent for a while, another unit's tag
    between them: the chunked former gives the observations `add` gives, across chunk ends."""
    from sensor_tui.model.readings import Reading
    from sensor_tui.pipeline.units import ObservationFormer

    tags = ("a", "b", "c")
    rng = np.random.default_rng(4)
    readings = []
    for i in range(3000):
        tag = str(rng.choice(["a", "b", "c", "other"], p=[0.3, 0.3, 0.3, 0.1]))
        if 1000 <= i < 1200 and tag == "c":
            continue  # c is silent: no observation may form
        stamp = f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.{i:06d}Z"
        readings.append(Reading(tag, stamp, float(i), "import"))
    one, many = ObservationFormer(tags), ObservationFormer(tags)
    expected = [
        made for r in readings if r.tag in tags if (made := one.add(r.tag, r.timestamp, r.value))
    ]
    got: list[tuple[str, list[float]]] = []
    for first in range(0, len(readings), 7):
        stamps, rows = many.add_many(readings[first : first + 7])
        got += list(zip(stamps, rows, strict=True))
    assert len(expected) > 400
    assert got == expected
