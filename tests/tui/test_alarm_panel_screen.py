"""The alarm panel as an operator meets it, in the real app under Pilot: text from the network
is shown as text, the panel keeps the keys after `e e`, the selection shows without colour, the
columns fit small terminals, shelved alarms leave the default view, and toasts leave the status
and grade lines readable."""

from __future__ import annotations

import http.client
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from rich.console import Console
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import Static
from textual.widgets._toast import Toast

from sensor_tui.model.tags import Config
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from sensor_tui.tui.alarm_columns import MARK
from sensor_tui.tui.alarm_panel import AlarmPanel
from sensor_tui.tui.alarm_screens import AlarmDetailScreen
from sensor_tui.tui.app import make_app
from tests.alarm_helpers import alarms_in, quiet
from tests.conftest import make_monitor, run
from tests.support.waiting import app_wait_until

from .conftest import alarm_database

SIZE = (150, 44)


def _app(config: Config, db: Path) -> Any:
    return make_app(make_monitor(db, quiet(config), simulate=False))


async def _loaded(pilot: Any, panel: AlarmPanel, rows: int) -> None:
    await app_wait_until(pilot, lambda: len(panel.visible_ids()) == rows, timeout=10)


def _ack_over_http(port: int, alarm_id: str, by: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"by": by})
    conn.request(
        "POST", f"/alarms/{quote(alarm_id)}/ack", body, {"Content-Type": "application/json"}
    )
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("by", ["[/]", "[link=https://evil.example]click[/link]", "[b red]x"])
def test_markup_from_the_network_is_shown_as_text(config: Config, alarm_db: Path, by: str) -> None:
    options = MonitorOptions(db_path=alarm_db, simulate=False, http="127.0.0.1:0")
    app = make_app(Monitor(quiet(config), options))

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _loaded(pilot, panel, 3)
            await pilot.press("f", "down", "enter")  # every alarm: an acked one stays in view
            await app_wait_until(pilot, lambda: panel.state_filter == "all")
            alarm_id = panel.selected["id"]
            assert _ack_over_http(app.monitor.http.port, alarm_id, by) == 200
            await app_wait_until(pilot, lambda: panel.alarms[alarm_id].get("acked_by") == by)
            await pilot.press("enter")
            await app_wait_until(pilot, lambda: isinstance(app.screen, AlarmDetailScreen))
            await pilot.pause(0.2)
            assert app.is_running and app.return_code is None
            summary = app.screen.query_one("#detail-summary", Static).content
            console = Console(width=200, record=True, file=io.StringIO())
            console.print(summary)
            assert f"by {by}" in console.export_text()  # literally, brackets included
            await pilot.press("escape")

    run(body())


def test_after_expand_and_back_the_panel_takes_the_keys_again(
    config: Config, alarm_db: Path
) -> None:
    app = _app(config, alarm_db)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _loaded(pilot, panel, 3)
            ids = panel.visible_ids()
            await pilot.press("e")
            await pilot.pause(0.1)
            await pilot.press("e")
            await pilot.pause(0.2)
            assert app.focused is panel
            await pilot.press("down")
            assert panel.selected["id"] == ids[1]
            await pilot.press("a")
            await app_wait_until(pilot, lambda: panel.alarms[ids[1]]["state"] == "normal")
            assert panel.alarms[ids[2]]["state"] == "rtn_unack"  # the oldest: untouched

    run(body())


def test_the_selected_alarm_is_marked_without_colour(
    config: Config, alarm_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(config, alarm_db)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _loaded(pilot, panel, 3)
            assert app.no_color

            def marks() -> list[bool]:
                column = list(panel.column_layout.widths).index("mark")
                cells = [panel.get_cell_at(Coordinate(i, column)) for i in range(panel.row_count)]
                return [isinstance(c, Text) and c.plain == MARK for c in cells]

            assert marks() == [True, False, False]
            await pilot.press("down", "down")
            await app_wait_until(pilot, lambda: marks() == [False, False, True])
            assert MARK in app.export_screenshot()

    run(body())


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
def test_the_panel_fits_without_scrolling_sideways(
    long_tag_config: Config, db_path: Path, size: tuple[int, int]
) -> None:
    db = alarm_database(long_tag_config, db_path)
    app = _app(long_tag_config, db)

    async def body() -> None:
        async with app.run_test(size=size) as pilot:
            panel = app.query_one(AlarmPanel)
            await _loaded(pilot, panel, 3)
            await pilot.pause(0.2)
            assert not panel.show_horizontal_scrollbar
            assert panel.virtual_size.width <= panel.size.width
            columns = panel.column_layout.widths
            assert {"mark", "state", "tag", "start", "peak"} <= set(columns)
            if size[0] >= 120:
                assert columns["src"] == len("real") and columns["tag"] == len(
                    "machine_temperature"
                )

    run(body())


def test_shelved_alarms_leave_the_default_open_view(config: Config, alarm_db: Path) -> None:
    app = _app(config, alarm_db)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _loaded(pilot, panel, 3)
            shelved = panel.selected["id"]
            await pilot.press("h", "enter")  # the first duration offered
            await app_wait_until(pilot, lambda: panel.alarms[shelved]["state"] == "shelved")
            await app_wait_until(pilot, lambda: shelved not in panel.visible_ids())
            assert panel.state_filter == "open" and len(panel.visible_ids()) == 2

    run(body())
    assert [r["state"] for r in alarms_in(alarm_db)].count("shelved") == 1


@pytest.mark.parametrize("size", [(150, 44), (80, 24)])
def test_toasts_leave_the_status_and_grade_lines_readable(
    config: Config, alarm_db: Path, size: tuple[int, int]
) -> None:
    app = _app(config, alarm_db)

    async def body() -> None:
        async with app.run_test(size=size, notifications=True) as pilot:
            panel = app.query_one(AlarmPanel)
            await _loaded(pilot, panel, 3)
            for i in range(3):
                app.notify(f"toast {i}", title="Alarm: HIGH", severity="error")
            await pilot.pause(0.3)
            toasts = list(app.screen.query(Toast))
            assert toasts
            grade_line = panel.region.bottom - 1  # the panel's bottom border
            for toast in toasts:
                assert toast.region.bottom <= grade_line, (toast.region, grade_line)

    run(body())


def test_the_marker_follows_when_the_marked_alarm_leaves_the_view(
    config: Config, alarm_db: Path
) -> None:
    app = _app(config, alarm_db)

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _loaded(pilot, panel, 3)
            await pilot.press("a")  # returned to normal + acknowledged: leaves the open view
            await _loaded(pilot, panel, 2)
            await pilot.pause(0.1)
            column = list(panel.column_layout.widths).index("mark")
            marks = [panel.get_cell_at(Coordinate(i, column)).plain for i in range(2)]
            assert marks[panel.cursor_row] == MARK and marks.count(MARK) == 1
            assert panel.marked == panel.selected["id"]

    run(body())
