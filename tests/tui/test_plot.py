"""The charts' scales and the timeline, without Textual; what plotext draws is
tested in tests/tui/test_chart_drawing.py."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_tui.model.when import BadMoment, parse_when
from sensor_tui.storage.series import WINDOWS
from sensor_tui.tui.axes import YScale, nice_step, x_ticks, y_range
from sensor_tui.tui.timeline import Timeline

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def test_one_spike_does_not_stretch_the_y_range() -> None:
    values = np.full(600, 450.0) + np.sin(np.arange(600)) * 20
    values[300] = 840.0
    lo, hi = y_range(values, values, (300.0, 600.0))
    assert lo < 300 and 600 < hi < 650  # band and normal operation, not the spike


def test_x_ticks_are_round_clock_times_and_dates_across_midnight() -> None:
    ticks = x_ticks(T0, T0 + 300, 100)
    assert all(t % 60 == 0 for t, _ in ticks) and ticks[0][1] == "22:14"
    day = x_ticks(T0, T0 + 6 * 3600, 100)  # crosses midnight UTC
    assert all(len(label.split()) == 3 for _, label in day)  # "15 Nov 00:00"
    month = x_ticks(T0, T0 + 30 * 86400, 100)
    assert month[0][1].endswith("Nov") and len(month[0][1]) == 6


def test_nice_steps_and_scale_rows() -> None:
    assert [nice_step(span, 4) for span in (1.0, 7.0, 330.0, 12_000.0)] == [0.5, 2, 100, 5000]
    scale = YScale(0.0, 100.0, 10)
    assert scale.row(100.0) == 0 and scale.row(0.0) == 9
    assert {label for _, label in scale.ticks((20.0, 80.0))} >= {"20", "80"}


def test_timeline_pans_together_and_returns_to_live() -> None:
    now = T0
    line = Timeline(WINDOWS.index(300))
    line.pan(-1, now)
    assert line.view(now) == (now - 600, now - 300) and not line.live
    line.pan(2, now)
    assert line.live  # reaching now follows again
    line.go_to(now - 86400, now)
    assert line.view(now) == (now - 86400 - 150, now - 86400 + 150)
    line.toggle_cursor(now)
    line.move_cursor(-200, 100, now)  # past the left edge: the view follows
    since, until = line.view(now)
    assert since <= line.cursor <= until
    assert line.zoom(1, now) and line.window == 900
    line.follow_live()
    assert line.live


def test_parse_when_accepts_dates_times_and_offsets() -> None:
    now = T0
    assert parse_when("2014-02-14", now) == 1392336000.0
    assert parse_when("2014-02-14 13:05", now) == 1392336000.0 + 13 * 3600 + 300
    assert parse_when("2014-02-14T13:05:00Z", now) == 1392336000.0 + 13 * 3600 + 300
    assert parse_when("-2h", now) == now - 7200 and parse_when("now", now) == now
    assert parse_when("22:00", now) == now - 800
    for bad in ("soon", "25:00", "-2y"):
        with pytest.raises(BadMoment):
            parse_when(bad, now)


def test_unstored_marks_are_bounded_and_still_counted(monkeypatch) -> None:
    from sensor_tui.model.tags import load_config
    from sensor_tui.tui import chart as chart_module

    monkeypatch.setattr(chart_module, "MAX_UNSTORED", 5)
    tag = load_config(None).tags[0]
    widget = chart_module.TagChart(tag, 1)
    for i in range(8):
        widget.add_unstored((T0 + i, f"t{i}"), 37.0, now=0.0)
    assert len(widget.unstored) == 5 and widget.unstored_shown() == 8
    assert widget.settle((T0 + 7, "t7")) and widget.settle((T0, "t0"))  # t0: an overflow mark
    assert widget.unstored_shown() == 6
    assert widget._unstored_between(T0 + 5, T0 + 6) == [(T0 + 6, 37.0), (T0 + 5, 37.0)]
