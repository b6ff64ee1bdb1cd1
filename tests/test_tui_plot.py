"""The chart renderer, its scales and the timeline, without Textual (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_tui.series import WINDOWS
from sensor_tui.tui.axes import YScale, nice_step, x_ticks, y_range
from sensor_tui.tui.plot import Trace, render
from sensor_tui.tui.timeline import Timeline
from sensor_tui.when import BadMoment, parse_when

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC


def text_rows(trace: Trace, width: int, height: int) -> list[str]:
    rows = render(trace, width, height)
    return ["".join(segment.text for segment in row) for row in rows]


def test_issue12_one_spike_does_not_stretch_the_y_range() -> None:
    values = np.full(600, 450.0) + np.sin(np.arange(600)) * 20
    values[300] = 840.0
    lo, hi = y_range(values, values, (300.0, 600.0))
    assert lo < 300 and 600 < hi < 650  # band and normal operation, not the spike
    rows = text_rows(
        Trace(T0, T0 + 600, (300, 600), "rpm", T0 + np.arange(600.0), values, values), 80, 12
    )
    assert "▲" in rows[0]  # clipped and marked at the edge


def test_issue12_band_lines_sit_on_rows_labelled_with_their_value() -> None:
    for height in (6, 9, 14, 30):
        rows = text_rows(Trace(T0, T0 + 300, (300.0, 600.0), "rpm"), 60, height)
        for value in ("300", "600"):
            row = next(r for r in rows if r.lstrip().startswith(value + "┤"))
            assert "┈" in row  # the band line is drawn on the labelled row
        labels = [r.split("┤")[0].strip() for r in rows if "┤" in r]
        assert all(float(label) % 50 == 0 for label in labels)  # round ticks


def test_issue12_rows_are_exactly_the_size_asked_with_unit_and_clock_axis() -> None:
    times = T0 + np.arange(0, 3600.0, 1.0)
    values = 7 + np.cos(times / 100) * 0.3
    for width, height in ((40, 5), (80, 10), (200, 40)):
        rows = text_rows(
            Trace(T0, T0 + 3600, (6.5, 7.5), "pH", times, values, values), width, height
        )
        assert len(rows) == height and all(len(r) == width for r in rows)
        assert rows[-1].startswith("pH") and ":" in rows[-1]


def test_issue12_x_ticks_are_round_clock_times_and_dates_across_midnight() -> None:
    ticks = x_ticks(T0, T0 + 300, 100)
    assert all(t % 60 == 0 for t, _ in ticks) and ticks[0][1] == "22:14"
    day = x_ticks(T0, T0 + 6 * 3600, 100)  # crosses midnight UTC
    assert all(len(label.split()) == 3 for _, label in day)  # "15 Nov 00:00"
    month = x_ticks(T0, T0 + 30 * 86400, 100)
    assert month[0][1].endswith("Nov") and len(month[0][1]) == 6


def test_issue12_nice_steps_and_scale_rows() -> None:
    assert [nice_step(span, 4) for span in (1.0, 7.0, 330.0, 12_000.0)] == [0.5, 2, 100, 5000]
    scale = YScale(0.0, 100.0, 10)
    assert scale.row(100.0) == 0 and scale.row(0.0) == 9
    assert set(scale.ticks((20.0, 80.0)).values()) >= {"20", "80"}


def test_issue12_timeline_pans_together_and_returns_to_live() -> None:
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


def test_issue12_parse_when_accepts_dates_times_and_offsets() -> None:
    now = T0
    assert parse_when("2014-02-14", now) == 1392336000.0
    assert parse_when("2014-02-14 13:05", now) == 1392336000.0 + 13 * 3600 + 300
    assert parse_when("2014-02-14T13:05:00Z", now) == 1392336000.0 + 13 * 3600 + 300
    assert parse_when("-2h", now) == now - 7200 and parse_when("now", now) == now
    assert parse_when("22:00", now) == now - 800
    for bad in ("soon", "25:00", "-2y"):
        with pytest.raises(BadMoment):
            parse_when(bad, now)


def test_issue12_unstored_marks_are_bounded_and_still_counted(monkeypatch) -> None:
    from sensor_tui.tags import load_config
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


@pytest.mark.parametrize("points", [60, 900, 3600, 86400])
@pytest.mark.parametrize("width", [40, 80, 200])
def test_issue12_a_one_point_spike_is_drawn_at_any_width(points: int, width: int) -> None:
    """Each column spans its readings' min..max, so binning never hides a spike (issue 3)."""
    times = T0 + np.linspace(0, 3600, points)
    values = np.full(points, 450.0)
    values[points // 3] = 590.0  # inside the band: drawn, not clipped
    rows = text_rows(Trace(T0, T0 + 3600, (300.0, 600.0), "rpm", times, values, values), width, 12)
    scale_top = next(i for i, r in enumerate(rows) if r.lstrip().startswith("600┤"))
    spike_rows = rows[scale_top : scale_top + 2]
    assert any(ch not in " ┈▲" for row in spike_rows for ch in row.split("┤", 1)[-1][1:])
