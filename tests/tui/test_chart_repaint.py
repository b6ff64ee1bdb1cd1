"""What a chart costs on screen each second: a new value in a panel's title repaints the border
row that changed, not the panel; a unit's chart, read again every second, is rebuilt only when
its picture can change (a new column of time, a new flagged point)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
from textual.app import App, ComposeResult
from textual.strip import Strip

from sensor_tui.model.readings import format_ts
from sensor_tui.model.tags import load_config
from sensor_tui.model.units import Unit
from sensor_tui.tui.chart import ChartPanel
from sensor_tui.tui.panel import PlotPanel
from sensor_tui.tui.unit_chart import UnitChart, UnitChartPanel
from tests.conftest import run

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SIZE = (100, 30)


class Panels(App[None]):
    """A real app with a tag's chart panel and a unit's, as the monitor lays them out."""

    CSS = """
    ChartPanel, UnitChartPanel { height: 12; border: round white; }
    ChartPanel.-selected { border: heavy red; }
    """

    def __init__(self) -> None:
        super().__init__()
        tag = next(t for t in load_config(None).tags if t.name == "agitator_rpm")
        self.tag_panel = ChartPanel(tag, 1)
        self.unit_panel = UnitChartPanel(Unit("fermenter", ("a", "b")), 2)

    def compose(self) -> ComposeResult:
        yield self.tag_panel
        yield self.unit_panel


def _record_rows(panel: PlotPanel) -> list[int]:
    """The rows of the panel itself (its border and background) rendered from now on: Textual
    renders only rows marked dirty, the rest come from the panel's line cache."""
    rows: list[int] = []
    cache = panel._styles_cache
    original = cache.render_line

    def render_line(styles: Any, y: int, *args: Any) -> Strip:
        rows.append(y)
        return original(styles, y, *args)

    cache.render_line = render_line  # type: ignore[method-assign]
    return rows


def test_a_new_title_repaints_the_title_row_alone() -> None:
    app = Panels()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.tag_panel
            await pilot.pause()
            subtitle = panel._titles[1]
            rows = _record_rows(panel)
            panel.set_titles("[b]1[/b] agitator_rpm  [b]451.7[/b] rpm", subtitle)
            await pilot.pause(0.2)
            assert rows == [0]
            assert "451.7" in app.export_screenshot()
            rows.clear()
            panel.set_titles("[b]1[/b] agitator_rpm  [b]451.7[/b] rpm", "3 anomalies in 5m")
            await pilot.pause(0.2)
            assert rows == [panel.outer_size.height - 1]  # the subtitle's row, at the bottom
            assert "anomalies" in app.export_screenshot()
            rows.clear()
            panel.set_titles("[b]1[/b] agitator_rpm  [b]451.7[/b] rpm", "3 anomalies in 5m")
            await pilot.pause(0.2)
            assert rows == []  # the same titles: nothing

    run(body())


def test_selecting_a_panel_still_repaints_its_whole_border() -> None:
    app = Panels()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.tag_panel
            await pilot.pause()
            rows = _record_rows(panel)
            panel.add_class("-selected")
            await pilot.pause(0.2)
            assert sorted(set(rows)) == list(range(panel.outer_size.height))

    run(body())


def _points(times: np.ndarray, flagged_at: float | None = None) -> list[Any]:
    return [(format_ts(datetime.fromtimestamp(t, UTC)), 0.5, 1.0, t == flagged_at) for t in times]


def _count_builds(chart: UnitChart) -> list[int]:
    """How many times plotext builds the chart's figure from now on."""
    builds = [0]
    figure = chart._figure
    original = figure._build_matrix

    def build_matrix() -> Any:
        builds[0] += 1
        return original()

    figure._build_matrix = build_matrix
    return builds


def test_a_unit_chart_is_rebuilt_per_column_of_time_and_at_once_for_a_flag() -> None:
    app = Panels()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            chart: UnitChart = app.unit_panel.chart
            await pilot.pause()
            column = 600 / chart.size.width
            until = (math.floor((T0 + 600) / column) + 0.2) * column  # 0.2 into a column
            times = np.arange(until - 0.1 * column, until - 600, -1.0)[::-1]
            builds = _count_builds(chart)
            chart.set_points(_points(times), None)
            chart.replot(until - 600, until)
            assert builds == [1] and "●" not in chart.built.plain
            # a moment later, a new point in the same column: the same picture, no build
            later, newer = until + 0.2 * column, np.append(times, until + 0.1 * column)
            chart.set_points(_points(newer), None)
            chart.replot(later - 600, later)
            assert builds == [1]
            assert "[b]0.5[/b] / limit 1" in str(
                app.unit_panel.border_title
            )  # the title is current
            # a flagged point is drawn at once
            flagged = np.append(newer, until + 0.15 * column)
            chart.set_points(_points(flagged, flagged_at=flagged[-1]), None)
            chart.replot(later - 600, later)
            assert builds == [2] and "●" in chart.built.plain
            # a column of time later the view has moved: rebuilt
            chart.replot(later + column - 600, later + column)
            assert builds == [3]

    run(body())
