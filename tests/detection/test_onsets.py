"""Issue 9, alarm onsets: a lone outlier no larger than one the tag made lately is not news.

EEMUA 191 calls an alarm that repeats what the operator was just shown a nuisance: a counter that
bursts now and then, a sensor that glitches to the same height twice in a few minutes. The
detector still learns from such an outlier; it only does not open a new alarm for it, and its
stored score stays under the threshold (the onset and the score agree).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sensor_tui.detection import make_detector
from sensor_tui.detection.alarms import AlarmTracker
from sensor_tui.detection.base import DEFAULT_THRESHOLD
from sensor_tui.detection.recent import RECENT_SPAN, RecentRange
from sensor_tui.model.readings import Reading, format_ts
from sensor_tui.model.tags import Tag

START = datetime(2026, 1, 5, tzinfo=UTC)


def _noise(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [50.0 + rng.gauss(0.0, 1.0) for _ in range(n)]


def _run(values: list[float]) -> tuple[list[int], list[float]]:
    """(indices where an alarm opened, stored score of each reading) through detector + tracker."""
    detector = make_detector(Tag("t", "", (0.0, 100.0), (-1e9, 1e9)))
    tracker = AlarmTracker()
    scores, starts = [], {}
    for i, value in enumerate(values):
        stamp = format_ts(START + timedelta(seconds=i))
        starts[stamp] = i
        reading = Reading("t", stamp, value, "test")
        reading.is_anomaly, reading.score, reading.kind = detector.update(value, stamp)
        assert reading.is_anomaly == (reading.score >= DEFAULT_THRESHOLD)
        scores.append(reading.score)
        tracker.feed([reading])
    tracker.close_all()
    return sorted(starts[alarm.start] for alarm in tracker.take_changed()), scores


def test_an_outlier_no_larger_than_one_lately_opens_no_alarm() -> None:
    values = _noise(3000, 11)
    values[1000] += 14.0  # a glitch: announced
    values[1200] += 11.0  # a smaller one 200 readings later: the tag did this lately
    values[1400] += 20.0  # larger than anything lately: news
    values[2400] += 14.0  # the first one's height again, long after: news again
    onsets, scores = _run(values)
    assert onsets == [1000, 1400, 2400]
    assert 0.5 < scores[1200] < DEFAULT_THRESHOLD  # unusual (stored as such), not announced
    # Without the first glitch the second is announced: the rule is what kept it quiet.
    values[1000] -= 14.0
    onsets, _ = _run(values)
    assert 1200 in onsets


def test_a_step_does_not_make_later_outliers_expected() -> None:
    """Only normal readings and lone outliers make "lately": a step's jump is a fault, not a
    height the tag may repeat unannounced."""
    values = _noise(3000, 12)
    for i in range(1000, 1300):
        values[i] += 15.0
    values[1500] += 11.0
    onsets, _ = _run(values)
    assert onsets[0] in range(1000, 1003)
    assert 1500 in onsets


def test_a_step_inside_the_recent_range_is_announced_one_reading_late() -> None:
    """A jump no larger than a recent glitch is held back one reading; when the next reading
    is still out, the excursion goes on (a step) and is announced then."""
    rng = random.Random(3)
    level, values = 50.0, []
    for _ in range(3000):  # a wandering process: its level statistic is slow to flag a step
        level += rng.gauss(0.0, 0.1)
        values.append(level + rng.gauss(0.0, 1.0))
    values[1000] += 16.0
    for i in range(1200, 1500):
        values[i] += 12.0
    onsets, _ = _run(values)
    assert onsets[0] == 1000 and onsets[1] in range(1200, 1202)


def test_outliers_of_the_warm_up_do_not_make_later_ones_expected() -> None:
    """Readings of the warm-up were never judged (nor shown): they are not "lately"."""
    values = _noise(1000, 14)
    values[60] += 16.0
    values[400] += 12.0
    onsets, _ = _run(values)
    assert onsets == [400]


def test_recent_range_covers_the_last_span_of_values() -> None:
    recent = RecentRange(RECENT_SPAN)
    assert not recent.within(0.0)  # nothing known yet
    recent.add(9.0)
    for _ in range(RECENT_SPAN * 3 // 4):
        recent.add(0.0)
    assert recent.within(5.0) and not recent.within(-5.0)
    for _ in range(RECENT_SPAN):
        recent.add(0.0)
    assert not recent.within(5.0)  # forgotten after the span
