"""Gaps in timestamps: a pause of a regular stream is a gap; an irregular stream's is not."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sensor_tui.detection.gaps import GapWatch
from sensor_tui.model.readings import format_ts

START = datetime(2026, 1, 5, tzinfo=UTC)


def _gaps(seconds: list[float]) -> list[int]:
    watch = GapWatch()
    return [
        i for i, s in enumerate(seconds) if watch.after_gap(format_ts(START + timedelta(seconds=s)))
    ]


def test_a_pause_of_a_regular_stream_is_a_gap_at_its_first_reading_after() -> None:
    seconds = [float(i) for i in range(600)] + [620.0 + i for i in range(300)]
    assert _gaps(seconds) == [600]


def test_the_same_pause_at_five_minute_readings_is_a_gap_too() -> None:
    seconds = [300.0 * i for i in range(600)] + [300.0 * (610 + i) for i in range(300)]
    assert _gaps(seconds) == [600]


def test_a_stream_whose_readings_come_irregularly_has_no_gaps() -> None:
    """Readings that come when something happens (traffic counts) pause as a matter of course."""
    rng = random.Random(4)
    seconds, t = [], 0.0
    for _ in range(2000):
        t += rng.expovariate(1 / 300.0)
        seconds.append(round(t, 3))
    assert _gaps(seconds) == []


def test_text_that_is_not_a_timestamp_is_not_a_gap() -> None:
    watch = GapWatch()
    assert not watch.after_gap("not a timestamp")
    assert not watch.after_gap("")
