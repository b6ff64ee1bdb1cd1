"""The alarm panel repaints only what changed: an alarm update (one a second with a sensor
flagging) redraws that alarm's line, not the whole table, and the new value is on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.strip import Strip

from sensor_tui.model.tags import Config
from sensor_tui.tui.alarm_panel import AlarmPanel
from sensor_tui.tui.app import make_app
from tests.alarm_helpers import quiet
from tests.conftest import make_monitor, run
from tests.support.waiting import app_wait_until

SIZE = (150, 44)


def _record_lines(panel: AlarmPanel) -> list[str]:
    """The text of every line the panel renders from now on (Textual asks only for dirty
    lines; the rest come from its line cache)."""
    rendered: list[str] = []
    original = panel.render_line

    def render_line(y: int) -> Strip:
        strip = original(y)
        rendered.append(strip.text)
        return strip

    panel.render_line = render_line  # type: ignore[method-assign]
    return rendered


async def _settled(pilot: Any, panel: AlarmPanel) -> None:
    """Wait until the three alarms are shown with their `now` values filled in: the app's tick
    fills that column a few seconds after start, and a fill during a measurement would be a
    repaint the measured update did not cause."""
    await app_wait_until(pilot, lambda: len(panel.visible_ids()) == 3, timeout=10)
    tags = {panel.alarms[i]["tag"] for i in panel.visible_ids()}
    await app_wait_until(pilot, lambda: tags <= panel.values_now.keys(), timeout=10)
    panel.refresh_values()
    await pilot.pause(0.3)


def test_an_alarm_update_repaints_its_row_alone(config: Config, alarm_db: Path) -> None:
    app = make_app(make_monitor(alarm_db, quiet(config), simulate=False))

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _settled(pilot, panel)
            rendered = _record_lines(panel)
            alarm_id = panel.visible_ids()[1]
            changed: dict[str, Any] = {**panel.alarms[alarm_id], "peak_value": 912.3}
            panel.upsert([changed])
            await pilot.pause(0.3)
            assert len(rendered) == 1  # the changed row only: no header, no other rows
            assert "912.3" in rendered[0]
            screen = app.export_screenshot()
            assert "912.3" in screen  # what the operator sees, other rows from the cache
            for other in (panel.visible_ids()[0], panel.visible_ids()[2]):
                assert panel.alarms[other]["tag"] in screen

    run(body())


def test_an_unchanged_alarm_repaints_nothing(config: Config, alarm_db: Path) -> None:
    app = make_app(make_monitor(alarm_db, quiet(config), simulate=False))

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _settled(pilot, panel)
            rendered = _record_lines(panel)
            panel.upsert([dict(panel.alarms[panel.visible_ids()[0]])])
            panel.show_grade(panel.grade_line)
            await pilot.pause(0.3)
            assert rendered == []

    run(body())
