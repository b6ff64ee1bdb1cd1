"""Per-tag alarms end with their fault: each shape an operator met, on a generated series.

Each series is normal noise around a level, one fault of a known span, then normal again. The
readings go through the default detector and the alarm tracker, as in the monitor, and the
alarm's end (its last flagged reading) is compared with the fault's last reading.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sensor_tui.detection import AdaptiveDetector
from sensor_tui.detection.alarms import AlarmTracker
from sensor_tui.readings import Reading, format_ts

START = datetime(2026, 1, 5, tzinfo=UTC)
LATE = 60
"""Readings an alarm may outlive its fault (the issue's target: within 60 s at 1 Hz)."""


def _noise(n: int, level: float, sd: float, rng: random.Random) -> list[float]:
    return [level + rng.gauss(0.0, sd) for _ in range(n)]


def _alarms(
    values: list[float], band: tuple[float, float], seconds: list[float] | None = None
) -> list[tuple[int, int, str]]:
    """(first index, last index, kind) of each alarm the detector and the tracker raise."""
    detector = AdaptiveDetector(band=band)
    tracker = AlarmTracker()
    moments = seconds if seconds is not None else [float(i) for i in range(len(values))]
    stamps = [format_ts(START + timedelta(seconds=s)) for s in moments]
    where = {stamp: i for i, stamp in enumerate(stamps)}
    for stamp, value in zip(stamps, values, strict=True):
        flagged, score, kind = detector.update(value, stamp)
        tracker.feed([Reading("t", stamp, value, "test", flagged, score, kind)])
    tracker.close_all()
    return sorted((where[a.start], where[a.end], a.kind) for a in tracker.take_changed())


@pytest.mark.parametrize("seed", range(3))
def test_a_flat_excursion_without_noise_ends_its_alarm_with_it(seed: int) -> None:
    """A fermenter at 37.5 °C (noise 0.1) held flat at 41.5 °C for two minutes: the alarm
    used to stay for minutes after, on normal readings flagged 'step' (the reference had kept
    the part of the offset measured before the fast level arrived)."""
    rng = random.Random(seed)
    values = _noise(2000, 37.5, 0.1, rng)
    values[1000:1120] = [41.5] * 120
    alarms = _alarms(values, (35.0, 40.0))
    assert alarms, "the excursion raised no alarm"
    assert alarms[0][0] <= 1001
    assert all(end <= 1119 + LATE for _, end, _ in alarms), alarms


@pytest.mark.parametrize("length", [5, 30, 100, 300, 1000])
def test_a_step_of_any_length_ends_its_alarm_with_it(length: int) -> None:
    rng = random.Random(length)
    values = _noise(1000 + length + 1500, 50.0, 1.0, rng)
    for i in range(1000, 1000 + length):
        values[i] += 10.0
    alarms = _alarms(values, (0.0, 100.0))
    last = 1000 + length - 1
    assert [kind for _, _, kind in alarms] == ["step"], alarms
    start, end, _ = alarms[0]
    assert start <= 1001
    assert last - LATE <= end <= last + LATE, (end, last)


@pytest.mark.parametrize("seed", range(3))
def test_a_level_change_inside_the_band_after_a_gap_is_learned_not_alarmed(seed: int) -> None:
    """A restart ten minutes later, the process resuming 1.5 °C lower but inside its band:
    the level is re-learned; it used to open an alarm that did not end."""
    rng = random.Random(seed)
    values = _noise(1500, 37.5, 0.1, rng) + _noise(900, 36.0, 0.1, rng)
    seconds = [float(i if i < 1500 else i + 600) for i in range(len(values))]
    assert _alarms(values, (35.0, 40.0), seconds) == []


def test_a_level_change_outside_the_band_after_a_gap_is_still_alarmed() -> None:
    rng = random.Random(7)
    values = _noise(1500, 37.5, 0.1, rng) + _noise(900, 42.0, 0.1, rng)
    seconds = [float(i if i < 1500 else i + 600) for i in range(len(values))]
    assert any(start >= 1500 for start, _, _ in _alarms(values, (35.0, 40.0), seconds))


def test_the_same_level_change_without_a_gap_is_a_step() -> None:
    """The gap is what makes the change a restart: without it, the jump is a fault."""
    rng = random.Random(8)
    values = _noise(1500, 37.5, 0.1, rng) + _noise(900, 36.0, 0.1, rng)
    assert [kind for _, _, kind in _alarms(values, (35.0, 40.0))][:1] == ["step"]
