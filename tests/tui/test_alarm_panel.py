"""Issue 11: the alarm panel in the real app (Pilot), every key and state transition.

The monitor runs live without the simulator (so only these tests' faults make alarms), on a
real database filled through the real pipeline; each key's command goes through the writer and
is checked in the file and on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sensor_tui.alarming import states
from sensor_tui.model.readings import Reading, epoch
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline
from sensor_tui.tui.alarm_panel import AlarmPanel
from sensor_tui.tui.alarm_screens import (
    AlarmDetailScreen,
    AlarmHealthScreen,
    FilterScreen,
    ShelveScreen,
)
from sensor_tui.tui.app import make_app
from tests.alarm_helpers import alarms_in, fault_stream, quiet, scenario, store_stream
from tests.conftest import make_monitor, run
from tests.support.waiting import app_wait_until

SIZE = (150, 44)


@pytest.fixture
def alarm_db(config: Config, db_path: Path) -> tuple[Path, list[Reading]]:
    """A spike on fermenter_ph and a stuck fermenter_temp, both returned to normal, stored;
    and the readings that follow them, with a stuck fermenter_temp still going on at the end
    (each test submits those to the running app, so that alarm is live)."""
    readings, events = scenario(config, FAULTS, 900)
    pipe = Pipeline(quiet(config), db_path)
    pipe.start()
    split = 700 * len(config.tags)
    store_stream(pipe, readings[:split], events)
    pipe.stop()
    return db_path, readings[split:]


FAULTS = {
    200: ("fermenter_ph", "spike", 1),
    350: ("fermenter_temp", "stuck", 150),
    720: ("fermenter_temp", "stuck", 200),
}


async def _go_live(pilot: Any, app: Any, rest: list[Reading]) -> None:
    """Submit the rest of the scenario to the running app (its events are already stored)."""
    pipeline = app.monitor.pipeline
    for i in range(0, len(rest), 30):
        pipeline.submit_readings(rest[i : i + 30])
    await app_wait_until(pilot, lambda: pipeline.flush(0.05), timeout=20)


def _state(db: Path, alarm_id: str) -> str:
    return next(row["state"] for row in alarms_in(db) if row["id"] == alarm_id)


def _app(config: Config, db: Path) -> Any:
    return make_app(make_monitor(db, quiet(config), simulate=False))


def _panel_states(panel: AlarmPanel) -> dict[str, str]:
    return {i: panel.alarms[i]["state"] for i in panel.visible_ids()}


async def _until(pilot: Any, check: Callable[[], bool]) -> None:
    await app_wait_until(pilot, check, timeout=10)


def test_keys_ack_shelve_unshelve_and_ack_all(
    config: Config, alarm_db: tuple[Path, list[Reading]]
) -> None:
    db, rest = alarm_db

    async def body() -> None:
        app = _app(config, db)
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _go_live(pilot, app, rest)
            await _until(pilot, lambda: len(panel.visible_ids()) == 3)
            # the cursor stayed on the alarm it was on when the live one arrived above it
            assert panel.cursor_row == 1
            await pilot.press("up")
            live = panel.selected["id"]
            assert panel.selected["tag"] == "fermenter_temp" and panel.selected["active"]
            assert panel.selected["state"] == states.UNACK
            await pilot.press("a")
            await _until(pilot, lambda: _panel_states(panel)[live] == "acked")
            assert _state(db, live) == states.ACKED
            await pilot.press("h")
            await _until(pilot, lambda: isinstance(app.screen, ShelveScreen))
            await pilot.press("escape")  # changed their mind: nothing happens
            await _until(pilot, lambda: not isinstance(app.screen, ShelveScreen))
            await pilot.pause(0.2)
            assert _state(db, live) == states.ACKED
            await pilot.press("h")
            await _until(pilot, lambda: isinstance(app.screen, ShelveScreen))
            await pilot.press("down", "enter")  # 15 min
            # shelved: hidden from the default "open" view, shown under "shelved"
            await _until(pilot, lambda: panel.alarms[live]["state"] == "shelved")
            await _until(pilot, lambda: live not in panel.visible_ids())
            row = next(r for r in alarms_in(db) if r["id"] == live)
            assert row["shelved_from_state"] == states.ACKED and row["shelved_until"]
            await pilot.press("f", "down", "down", "down", "down", "enter")  # shelved
            await _until(pilot, lambda: panel.visible_ids() == [live])
            await pilot.press("u")
            await _until(pilot, lambda: panel.alarms[live]["state"] == "acked")
            await pilot.press("f", "up", "up", "up", "up", "enter")  # open again
            await _until(pilot, lambda: _panel_states(panel).get(live) == "acked")
            returned = [i for i, state in _panel_states(panel).items() if state == "rtn_unack"]
            assert len(returned) == 2
            await pilot.press("A")  # returned to normal + ack = normal: they leave "open"
            await _until(pilot, lambda: list(_panel_states(panel)) == [live])
            assert all(_state(db, i) == states.NORMAL for i in returned)
            await pilot.press("a")  # already acknowledged: refused, nothing changes
            await pilot.pause(0.3)
            assert _state(db, live) == states.ACKED

    run(body())


def test_filter_detail_toggle_and_health_keys(
    config: Config, alarm_db: tuple[Path, list[Reading]]
) -> None:
    db, rest = alarm_db

    async def body() -> None:
        app = _app(config, db)
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            await _go_live(pilot, app, rest)
            await _until(pilot, lambda: len(panel.visible_ids()) >= 2)
            await pilot.press("f")
            await _until(pilot, lambda: isinstance(app.screen, FilterScreen))
            await pilot.press("down", "down", "right", "down", "down", "enter")  # active, ph
            await _until(pilot, lambda: panel.state_filter == "active")
            assert panel.tag_filter == "fermenter_ph" and panel.visible_ids() == []
            await pilot.press(
                "f", "left", "up", "up", "right", "up", "up", "enter"
            )  # open, every tag
            await _until(pilot, lambda: len(panel.visible_ids()) == 3)
            chosen = panel.selected
            await pilot.press("enter")
            await _until(pilot, lambda: isinstance(app.screen, AlarmDetailScreen))
            assert (
                app.charts.frozen and app.charts.selected_tag == chosen["tag"]
            )  # the charts on its span
            assert app.charts.view_span()[1] >= epoch(chosen["end"])
            assert app.charts.view_span()[1] - app.charts.window <= epoch(chosen["start"])
            detail = app.screen
            assert detail.row["id"] == chosen["id"] and detail.entries[0]["to_state"] == "unack"
            flagged = [r for r in detail.readings if r["is_anomaly"]]
            assert len(flagged) == chosen["readings"]
            await pilot.press("escape", "r")
            await _until(pilot, lambda: app.screen.has_class("-readings"))
            assert not panel.display and app.query_one("#anomalies").display
            # the detector's grade since the monitor started, under the panel
            await _until(pilot, lambda: "detected" in str(panel.border_subtitle))
            await pilot.press("r", "H")
            await _until(pilot, lambda: isinstance(app.screen, AlarmHealthScreen))
            text = "\n".join(app.screen.lines)
            assert "per 10 min" in text and "detector: detected 3/3" in text
            await pilot.press("escape")
            assert panel.display

    run(body())


def test_panel_keeps_cursor_and_scroll_when_rows_arrive(config: Config, db_path: Path) -> None:
    def row(i: int, tag: str = "fermenter_temp", state: str = "unack") -> dict[str, Any]:
        start = f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000000Z"
        return {
            "id": f"{tag}@{start}",
            "tag": tag,
            "kind": "spike",
            "start": start,
            "end": start,
            "state": state,
            "priority": 4,
            "active": 1,
        }

    async def body() -> None:
        app = make_app(make_monitor(db_path, config, simulate=False), live=False)
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            panel.upsert([row(i) for i in range(60)])
            await pilot.pause()
            panel.move_cursor(row=30)
            panel.scroll_to(y=25, animate=False, immediate=True)
            await pilot.pause()
            chosen = panel.selected["id"]
            top = panel.scroll_y
            panel.upsert([row(i) for i in range(60, 65)])  # five newer alarms on top
            await pilot.pause(0.2)
            assert panel.selected["id"] == chosen and panel.cursor_row == 35
            assert panel.scroll_y == top + 5  # the same rows stay in view
            panel.upsert([dict(row(3), kind="drift")])  # an update in place: nothing moves
            await pilot.pause(0.2)
            assert panel.selected["id"] == chosen and panel.scroll_y == top + 5
            panel.upsert([row(40, state="normal")])  # leaves the "open" view above the cursor
            await pilot.pause(0.2)
            assert panel.selected["id"] == chosen and panel.row_count == 64

    run(body())


def test_a_burst_of_1000_flagged_readings_is_one_row(config: Config, db_path: Path) -> None:
    readings, events = fault_stream(config, "stuck", duration=1000, after=0)

    async def body() -> None:
        app = _app(replace(config, units=()), db_path)  # the tag's alarm alone, no unit's
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(AlarmPanel)
            pipeline = app.monitor.pipeline
            for event in events:
                pipeline.record_event(event)
            for i in range(0, len(readings), 300):
                pipeline.submit_readings(readings[i : i + 300])
            await _until(pilot, lambda: pipeline.flush(0.1) and bool(panel.alarms))
            await pilot.pause(0.3)
            (row,) = panel.alarms.values()
            assert row["readings"] >= 900 and panel.row_count == 1
            assert row["tag"] == "fermenter_temp" and row["origin"] == "injected"
            chart = app.charts.charts["fermenter_temp"]
            assert chart.spans and chart.spans[0][1] > chart.spans[0][0]

    run(body())


def test_charts_say_when_the_detector_is_warming_up(config: Config, db_path: Path) -> None:
    async def body() -> None:
        app = _app(config, db_path)  # an empty database: every detector starts cold
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, lambda: app.charts.charts["fermenter_temp"].warming)
            assert "warming up" in str(app.query_one("#panel-0").border_subtitle)

    run(body())
