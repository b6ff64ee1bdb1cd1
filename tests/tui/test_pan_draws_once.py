"""Panning into stored history draws each chart once, from the view read for the new span:
not first from the old view and again when the new one arrives (that doubled a pan's time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sensor_tui.model.tags import Config
from sensor_tui.tui.app import make_app
from sensor_tui.tui.chart import TagChart
from tests.conftest import fill_database, make_monitor, run

pytestmark = pytest.mark.timeout(60)

START = datetime(2014, 2, 14, 12, 0, tzinfo=UTC)


def _count_draws(chart: TagChart, spans: list[tuple[float, float]]) -> None:
    """Note the span of every replot of `chart` from now on."""
    original = chart.replot

    def replot(since: float, until: float, cursor: float | None = None) -> None:
        spans.append((since, until))
        original(since, until, cursor)

    chart.replot = replot  # type: ignore[method-assign]


def test_a_pan_draws_each_chart_once_with_the_new_span(tmp_path: Any, config: Config) -> None:
    db = tmp_path / "sensor_data.db"
    fill_database(db, config, START, 3600)
    end = START.timestamp() + 3000
    app = make_app(make_monitor(db, config), clock=lambda: end, live=False)

    async def body() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            charts = list(app.query(TagChart))
            drawn: list[list[tuple[float, float]]] = [[] for _ in charts]
            for chart, spans in zip(charts, drawn, strict=True):
                _count_draws(chart, spans)
            await pilot.press("left_square_bracket")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()
            since, until = app.charts.view_span()
            assert until == end - 300
            for chart, spans in zip(charts, drawn, strict=True):
                assert spans == [(since, until)]
                assert chart.plotted_points > 250  # the readings of the new span

    run(body())
