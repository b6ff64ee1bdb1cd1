"""The unit's health chart and keys in the real monitor under Pilot (real simulator, SQLite)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sensor_tui.model.tags import Config
from sensor_tui.storage import Reader
from sensor_tui.storage.units import load_references
from sensor_tui.tui.app import make_app
from sensor_tui.tui.unit_chart import UnitChart, UnitChartPanel
from tests.conftest import make_monitor, run
from tests.support.waiting import app_wait_until

pytestmark = pytest.mark.timeout(60)


def short_warmup(config: Config, warmup: int = 20) -> Config:
    return replace(config, units=(replace(config.units[0], warmup=warmup),))


def stored_reference(db: Path) -> str | None:
    reader = Reader(db)
    try:
        ref = load_references(reader.connection().conn).get("fermenter")
    finally:
        reader.close()
    return None if ref is None else ref.origin


def test_the_unit_chart_shows_the_statistic_and_is_selected_like_a_tag(
    tmp_path: Path, config: Config
) -> None:
    db = tmp_path / "sensor_data.db"
    app = make_app(make_monitor(db, short_warmup(config)))

    async def body() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            chart = app.query_one(UnitChart)
            panel = app.query_one(UnitChartPanel)
            assert chart.number == 4 and "fermenter health" in str(panel.border_title)
            await app_wait_until(pilot, lambda: len(chart.times) >= 5, timeout=20)
            assert chart.latest is not None and "limit" in str(panel.border_title)
            assert chart.built.plain.strip() and panel.region.height > 3  # drawn, on screen
            await pilot.press("4")
            assert app.charts.selected_unit == "fermenter" and panel.has_class("-selected")
            assert "▶" in str(panel.border_title)
            await pilot.press("tab")
            assert app.charts.selected == 0 and not panel.has_class("-selected")
            await pilot.press("shift+tab", "e")  # expanded: the unit's chart alone
            await pilot.pause(0.2)
            assert panel.display and app.query_one("#panel-0").styles.display == "none"

    run(body())


def test_b_injects_a_decouple_and_m_marks_the_view_as_the_reference(
    tmp_path: Path, config: Config
) -> None:
    db = tmp_path / "sensor_data.db"
    monitor = make_monitor(db, short_warmup(config))
    app = make_app(monitor)

    async def body() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await app_wait_until(pilot, lambda: stored_reference(db) == "warm-up", timeout=20)
            await pilot.press("4", "M")
            await app_wait_until(pilot, lambda: stored_reference(db) == "operator", timeout=20)
            await pilot.press("2", "b")
            faults = monitor.simulator.active_faults() if monitor.simulator else []
            assert ("fermenter_ph", "decouple") in [(e.tag, e.kind) for e in faults]

    run(body())
