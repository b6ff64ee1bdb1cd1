"""What a chart shows, read from the text plotext built: one test per thing a chart must show.

`build` is called on a real plotext figure; what a chart says in its border is read from a
`ChartPanel` mounted in a real (small) Textual app.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult

from sensor_tui.model.tags import load_config
from sensor_tui.storage.series import StoredView
from sensor_tui.tui.axes import x_ticks
from sensor_tui.tui.binning import min_max_bins
from sensor_tui.tui.chart import ChartPanel, TagChart
from sensor_tui.tui.plot import (
    ANOMALY,
    BAND,
    CLIPPED,
    CURSOR,
    LINE,
    PENDING,
    PlotView,
    Trace,
    as_text,
    build,
    new_figure,
)
from tests.conftest import run

T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
BAND_RPM = (300.0, 600.0)
RED_KIND = (255, 60, 60)


def lines_of(trace: Trace, width: int = 100, height: int = 12) -> list[Text]:
    lines = as_text(build(new_figure(), trace, width, height))
    assert len(lines) == height and all(line.cell_len == width for line in lines)
    return lines


def colour_at(line: Text, index: int) -> tuple[int, int, int] | None:
    """The foreground colour of one cell of a built line."""
    colour = None
    for span in line.spans:
        if span.start <= index < span.end:
            style = Style.parse(span.style) if isinstance(span.style, str) else span.style
            if style.color is not None and style.color.triplet is not None:
                colour = tuple(style.color.triplet)
    return colour


def cells(lines: list[Text], char: str) -> list[tuple[int, int]]:
    """(row, column) of every cell showing `char`."""
    return [(r, c) for r, line in enumerate(lines) for c, ch in enumerate(line.plain) if ch == char]


def rpm_trace(**extra) -> Trace:
    times = T0 + np.arange(600.0)
    values = 450 + np.sin(np.arange(600) / 40) * 30
    return Trace(T0, T0 + 600, BAND_RPM, "rpm", times, values, values.copy(), **extra)


def label_row(lines: list[Text], label: str) -> int:
    return next(r for r, line in enumerate(lines) if line.plain.split()[:1] == [label])


@pytest.mark.parametrize("points", [60, 3600, 86400])
@pytest.mark.parametrize("width", [40, 100, 200])
def test_line_is_binned_with_min_and_max_so_a_one_reading_spike_survives(points, width):
    times = T0 + np.linspace(0, 3600, points)
    values = np.full(points, 450.0)
    values[points // 3] = 590.0  # one reading, inside the band: drawn, not clipped
    trace = Trace(T0, T0 + 3600, BAND_RPM, "rpm", times, values, values)
    binned = min_max_bins(times, values, values, T0, T0 + 3600, width)
    assert binned.points <= 2 * width  # about two points a column, whatever the readings
    lines = lines_of(trace, width, 12)
    top = label_row(lines, "600")
    spike = [
        colour_at(lines[r], c)
        for r in (top, top + 1)
        for c, ch in enumerate(lines[r].plain)
        if 0x2800 < ord(ch) <= 0x28FF
    ]
    assert LINE in spike  # the spike's stroke reaches the band's top row


def test_line_is_joined_and_a_long_gap_is_left_open():
    times = np.r_[T0 + np.arange(0.0, 200.0), T0 + np.arange(400.0, 600.0)]
    values = np.full(len(times), 450.0)
    lines = lines_of(Trace(T0, T0 + 600, BAND_RPM, "rpm", times, values, values))
    row = next(line for line in lines if "⠒" in line.plain or "⠤" in line.plain)
    plot = row.plain[5:]
    drawn = [c for c, ch in enumerate(plot) if ch != " "]
    gap = [c for c in range(drawn[0], drawn[-1]) if plot[c] == " "]
    assert len(gap) > 20  # 200 s of 600 s with no readings: a hole, not a straight join
    assert len(drawn) > 50  # a line, not a scatter of dots


def test_anomalies_are_red_marks():
    trace = rpm_trace(anomaly_times=np.array([T0 + 300.0]), anomaly_values=np.array([470.0]))
    lines = lines_of(trace)
    marks = cells(lines, "●")
    assert len(marks) == 1
    row, column = marks[0]
    assert colour_at(lines[row], column) == ANOMALY
    assert abs(column - (5 + 95 // 2)) <= 2  # at its time: the middle of the plot columns


def test_unstored_readings_in_another_colour():
    times = T0 + np.arange(500.0, 600.0)
    trace = rpm_trace(pending_times=times, pending_values=np.full(100, 400.0))
    lines = lines_of(trace)
    colours = {colour_at(line, c) for line in lines for c in range(line.cell_len)}
    assert PENDING in colours and LINE in colours


def test_band_is_two_lines_on_rows_labelled_with_its_limits():
    for height in (6, 9, 14, 30):
        lines = lines_of(rpm_trace(), 80, height)
        for label in ("300", "600"):
            row = lines[label_row(lines, label)]
            assert row.plain.count("─") > 60  # the band line is drawn on the labelled row
            assert colour_at(row, 40) == BAND


def test_y_labels_are_round_values_on_their_rows_and_the_unit_is_in_the_corner():
    lines = lines_of(rpm_trace(), 80, 20)
    labels = [line.plain.split()[0] for line in lines[:-1] if line.plain[:4].strip()]
    assert {"300", "600"} <= set(labels)
    assert all(float(label) % 50 == 0 for label in labels)
    rows = [label_row(lines, label) for label in labels]
    assert all(b - a >= 2 for a, b in itertools.pairwise(sorted(rows)))  # apart, readable
    assert lines[-1].plain.startswith("rpm")


def test_x_axis_is_clock_time_with_dates_across_a_day():
    axis = lines_of(rpm_trace())[-1].plain
    assert "22:14" in axis and "22:20" in axis
    times = T0 + np.arange(0.0, 6 * 3600, 60.0)
    values = np.full(len(times), 450.0)
    day = lines_of(Trace(T0, T0 + 6 * 3600, BAND_RPM, "rpm", times, values, values))[-1].plain
    assert "15 Nov 00:00" in day  # the span crosses midnight UTC: the date is shown
    assert all(len(label.split()) == 3 for _, label in x_ticks(T0, T0 + 6 * 3600, 95))


def test_clipped_values_are_marked_up_and_down_at_the_edge():
    times = T0 + np.arange(600.0)
    values = np.full(600, 450.0) + np.sin(np.arange(600)) * 20
    values[200], values[400] = 2000.0, -900.0
    lines = lines_of(Trace(T0, T0 + 600, BAND_RPM, "rpm", times, values, values))
    assert "600" in lines[1].plain or "600" in lines[0].plain  # the range follows the band
    assert cells(lines, "▲")[0][0] == 0
    assert cells(lines, "▼")[0][0] == len(lines) - 2  # the last plot row, above the axis
    assert colour_at(lines[0], cells(lines, "▲")[0][1]) == CLIPPED


def test_alarm_spans_are_drawn_in_their_kinds_colour():
    trace = rpm_trace(spans=[(T0 + 300.0, T0 + 360.0, RED_KIND)])
    lines = lines_of(trace)
    bar = cells(lines, "▀")
    assert bar and {r for r, _ in bar} == {len(lines) - 2}  # along the bottom plot row
    assert all(colour_at(lines[r], c) == RED_KIND for r, c in bar)
    assert 8 <= len(bar) <= 12  # 60 s of 600 s over 95 columns
    start = min(c for _, c in bar)
    assert any(colour_at(lines[r], start) == RED_KIND for r in range(3))  # a line where it began


def test_cursor_is_a_line_at_its_moment():
    lines = lines_of(rpm_trace(cursor=T0 + 150.0))
    columns = {c for line in lines for c, ch in enumerate(line.plain) if ch in "│┼"}
    assert len(columns) == 1
    (column,) = columns
    assert colour_at(lines[0], column) == CURSOR
    assert abs(column - (5 + 95 // 4)) <= 2


def test_a_series_with_one_limit_and_no_unit_is_drawn_too():
    times = T0 + np.arange(600.0)
    values = 0.5 + np.sin(np.arange(600) / 50) * 0.2
    lines = lines_of(Trace(T0, T0 + 600, (0.9,), "", times, values, values))
    assert lines[label_row(lines, "0.9")].plain.count("─") > 60
    assert not lines[-1].plain[:3].strip()  # no unit


class OneChart(App[None]):
    """A real app holding one tag's chart panel, as the monitor lays it out."""

    CSS = "ChartPanel { height: 14; border: round white; } TagChart { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.tag = next(t for t in load_config(None).tags if t.name == "agitator_rpm")
        self.panel = ChartPanel(self.tag, 1)

    def compose(self) -> ComposeResult:
        yield self.panel
        yield PlotView(id="health")


def with_chart(check) -> None:
    app = OneChart()

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            check(app.panel.chart, app.panel)
            await pilot.pause()

    run(body())


def test_unstored_readings_are_counted_in_the_title():
    def check(chart: TagChart, panel: ChartPanel) -> None:
        for i in range(7):
            chart.add_unstored((T0 + 590 + i, f"t{i}"), 400.0, now=time.monotonic() - 5)
        chart.replot(T0, T0 + 600)
        assert "7 not stored yet" in str(panel.border_title)
        colours = {colour_at(line, c) for line in chart.built.split("\n") for c in range(60, 99)}
        assert PENDING in colours

    with_chart(check)


def test_warming_up_is_said_in_the_border():
    def check(chart: TagChart, panel: ChartPanel) -> None:
        chart.set_warming(True)
        chart.replot(T0, T0 + 600)
        assert "detector warming up" in str(panel.border_subtitle)
        chart.set_warming(False)
        assert "warming" not in str(panel.border_subtitle)

    with_chart(check)


def test_border_counts_are_the_true_counts_not_the_marks_drawn():
    def check(chart: TagChart, panel: ChartPanel) -> None:
        times = T0 + np.arange(0.0, 30 * 86400, 3600.0)
        values = np.full(len(times), 450.0)
        chart.stored_view = StoredView(
            T0, T0 + 30 * 86400, 3600, times, values, values,
            times[:2], values[:2], 12_345,
        )  # fmt: skip
        chart.replot(T0, T0 + 30 * 86400)
        assert "12,345 anomalies in 30d" in str(panel.border_subtitle)
        assert len(cells(chart.built.split("\n"), "●")) <= 2

    with_chart(check)


def test_plot_view_draws_a_statistic_against_its_limit_in_an_app():
    app = OneChart()

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            view = app.query_one("#health", PlotView)
            await pilot.pause()
            times = T0 + np.arange(600.0)
            values = np.linspace(0.1, 0.8, 600)
            view.draw(Trace(T0, T0 + 600, (0.9,), "", times, values, values))
            await pilot.pause()
            shown = [view.render_line(y).text for y in range(view.size.height)]
            assert any(row.startswith("0.9 ") and "─" in row for row in shown)

    run(body())
