"""Pilot tests of time navigation, cursor, export, long windows from rollups, charts
that keep moving through a database outage, true anomaly counts, small terminals.

The real app on real SQLite files; a fixed clock and `live=False` where the test is about what is
drawn, the running monitor where it is about readings arriving.
"""

from __future__ import annotations

import csv
import logging
import sqlite3
from datetime import UTC, datetime

import pytest
from textual import events

from sensor_tui.tui.app import make_app
from sensor_tui.tui.chart import SELECTED_MARK, ChartPanel, TagChart
from sensor_tui.tui.goto import GoToScreen
from sensor_tui.tui.status import StatusBar
from tests.conftest import fill_database, make_monitor, recent_start, run
from tests.support.waiting import app_wait_until

pytestmark = pytest.mark.timeout(60)

IMPORTED = datetime(2014, 2, 14, 12, 0, tzinfo=UTC)
"""A CSV import of old readings: two hours of 2014."""


def status(app) -> str:
    return app.query_one(StatusBar).text


def chart(app, index: int) -> TagChart:
    return app.query_one(f"#chart-{index}", TagChart)


async def settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


@pytest.fixture
def old_db(tmp_path, config):
    """Two hours of 2014 readings, as `sensor-tui import` of an old CSV leaves them."""
    db = tmp_path / "sensor_data.db"
    fill_database(db, config, IMPORTED, 7200, faults_per_hour=6)
    return db


def db_anomalies(db, tag: str, since: float, until: float) -> int:
    def ts(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT count(*) FROM measurements WHERE tag = ? AND is_anomaly = 1"
            " AND timestamp >= ? AND timestamp <= ?",
            (tag, ts(since), ts(until)),
        ).fetchone()[0]


def test_go_to_an_imported_date_pan_and_back_to_live(old_db, config):
    now = datetime(2026, 1, 15, 8, 0, tzinfo=UTC).timestamp()
    app = make_app(make_monitor(old_db, config), clock=lambda: now, live=False)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot)
            assert "LIVE" in status(app) and chart(app, 0).plotted_points == 0
            await pilot.press("g")
            assert isinstance(app.screen, GoToScreen)
            await pilot.press(*"2014-02-14 13:00", "enter")
            await settled(pilot)
            since, until = app.charts.view_span()
            assert (since, until) == (IMPORTED.timestamp() + 3450, IMPORTED.timestamp() + 3750)
            assert "2014-02-14 12:57:30 → 13:02:30 UTC" in status(app)
            for i in range(3):  # every chart moved, and shows the 2014 readings
                assert chart(app, i).plotted_points == 301  # both ends on a reading
            await pilot.press("left_square_bracket")
            await settled(pilot)
            assert app.charts.view_span() == (since - 300, until - 300)
            assert chart(app, 1).plotted_points == 301
            await pilot.press("right_square_bracket", "right_square_bracket")
            await settled(pilot)
            assert app.charts.view_span() == (since + 300, until + 300)
            await pilot.press("L")
            await settled(pilot)
            assert app.charts.timeline.live and "LIVE" in status(app)
            assert chart(app, 0).plotted_points == 0

    run(body())


def test_mouse_wheel_pans_every_chart_and_click_selects(old_db, config):
    end = IMPORTED.timestamp() + 3600
    app = make_app(make_monitor(old_db, config), clock=lambda: end, live=False)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot)
            await pilot.click("#chart-1")  # a click selects the chart under it
            assert app.charts.selected == 1
            title = str(app.query_one("#panel-1", ChartPanel).border_title)
            assert title.startswith(SELECTED_MARK)  # selection readable without colour
            assert not str(app.query_one("#panel-0", ChartPanel).border_title).startswith("▶")
            # the wheel over any chart moves all of them (Pilot has no public scroll helper)
            await pilot._post_mouse_events([events.MouseScrollUp], "#chart-2", offset=(20, 3))
            await settled(pilot)
            assert app.charts.view_span() == (end - 330, end - 30)
            assert not app.charts.timeline.live
            await pilot._post_mouse_events([events.MouseScrollDown], "#chart-0", offset=(20, 3))
            await settled(pilot)
            assert app.charts.timeline.live  # a tenth forward reaches now again

    run(body())


def test_cursor_shows_time_and_every_value(old_db, config):
    end = IMPORTED.timestamp() + 3600
    app = make_app(make_monitor(old_db, config), clock=lambda: end, live=False)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot)
            await pilot.press("c")
            await settled(pilot)
            assert app.charts.timeline.cursor == end - 150
            text = status(app)
            assert "⌖ 2014-02-14 12:57:30 UTC" in text
            with sqlite3.connect(old_db) as conn:
                for tag in ("fermenter_temp", "fermenter_ph", "agitator_rpm"):
                    value = conn.execute(
                        "SELECT value FROM measurements WHERE tag = ? AND timestamp <= ?"
                        " ORDER BY timestamp DESC LIMIT 1",
                        (tag, "2014-02-14T12:57:30.000000Z"),
                    ).fetchone()[0]
                    assert f"{tag} {value:.4g}" in text
            await pilot.press("full_stop", "full_stop")
            await settled(pilot)
            assert app.charts.timeline.cursor > end - 150
            assert "⌖" in str(app.query_one("#panel-0", ChartPanel).border_title)
            await pilot.press("c")
            assert app.charts.timeline.cursor is None

    run(body())


def test_export_key_writes_the_view(old_db, config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    end = IMPORTED.timestamp() + 3600
    app = make_app(make_monitor(old_db, config), clock=lambda: end, live=False)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot)
            await pilot.press("x")
            await app_wait_until(pilot, lambda: app.charts.exported is not None)
            with open(app.charts.exported) as handle:
                rows = list(csv.DictReader(handle))
            assert len(rows) == 3 * 301  # (end - 5m, end], both ends on a reading
            assert rows[0]["timestamp"] == "2014-02-14T12:55:00.000000Z"
            assert {r["tag"] for r in rows} == {"fermenter_temp", "fermenter_ph", "agitator_rpm"}
            app.charts.exported = None
            await pilot.press("2", "e", "x")  # expanded: only the chart in view
            await app_wait_until(pilot, lambda: app.charts.exported is not None)
            with open(app.charts.exported) as handle:
                assert {r["tag"] for r in csv.DictReader(handle)} == {"fermenter_ph"}

    run(body())


def test_long_windows_use_rollups_and_count_true_anomalies(old_db, config):
    end = IMPORTED.timestamp() + 7200
    app = make_app(make_monitor(old_db, config), clock=lambda: end, live=False)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            await settled(pilot)
            counts = {}
            for width in (120, 200):  # the count does not depend on the terminal width
                await pilot.resize_terminal(width, 40)
                await settled(pilot)
                counts[width] = chart(app, 2).anomalies_in_view
            assert (
                counts[120] == counts[200] == db_anomalies(old_db, "agitator_rpm", end - 300, end)
            )
            await pilot.press(*["plus"] * 6)  # 15m 1h 6h 24h 7d 30d
            await settled(pilot)
            assert app.charts.window == 30 * 86400 and "window [b]30d[/]" in status(app)
            rpm = chart(app, 2)
            assert rpm.stored_view is not None and rpm.stored_view.resolution == 3600
            assert rpm.plotted_points == 2  # two hourly buckets, not 7,200 readings
            assert rpm.anomalies_in_view == db_anomalies(old_db, "agitator_rpm", end - 7200, end)
            assert "anomalies in 30d" in str(rpm.parent.border_subtitle)

    run(body())


def test_outage_keeps_charts_moving_marked_not_stored(tmp_path, config, caplog):
    db = tmp_path / "sensor_data.db"
    fill_database(db, config, recent_start(200), 100)
    monitor = make_monitor(db, config)
    app = make_app(monitor)

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            first = chart(app, 0)
            await app_wait_until(pilot, lambda: monitor.pipeline.snapshot().stored > 0)
            with caplog.at_level(logging.WARNING, logger="sensor_tui.pipeline"):
                await pilot.press("o")
            assert "outage started by the operator" in caplog.text
            before = len(first.series)
            await app_wait_until(pilot, lambda: len(first.series) > before + 20)  # still charted
            await app_wait_until(pilot, lambda: len(first.unstored) > 20)
            panel = app.query_one("#panel-0", ChartPanel)
            await app_wait_until(pilot, lambda: "not stored yet" in str(panel.border_title))
            await app_wait_until(pilot, lambda: "not stored yet" in status(app))
            assert "database outage (simulated" in status(app)  # the reason, on screen
            assert " 0.0[/]/s" not in status(app)  # the rate counts arriving readings
            await pilot.press("o")
            await app_wait_until(pilot, lambda: not first.unstored, timeout=20)
            await app_wait_until(pilot, lambda: "not stored yet" not in status(app))

    run(body())


def test_status_says_too_small_and_every_size_draws(old_db, config):
    end = IMPORTED.timestamp() + 3600
    app = make_app(make_monitor(old_db, config), clock=lambda: end, live=False)

    async def body():
        async with app.run_test(size=(59, 20)) as pilot:
            await settled(pilot)
            assert app.screen.has_class("-tiny")
            assert "too small" in str(app.query_one("#too-small").render())
            for size in ((60, 20), (80, 24), (120, 40), (200, 50)):
                await pilot.resize_terminal(*size)
                await settled(pilot)
                assert not app.screen.has_class("-tiny")
                assert all(chart(app, i).size.height >= 7 for i in range(3))

    run(body())


def test_start_is_not_delayed_by_old_history(tmp_path, config):
    """A 2014 import does not make the live 5m window read anything."""
    db = tmp_path / "sensor_data.db"
    fill_database(db, config, datetime(2014, 2, 14, tzinfo=UTC), 600)
    app = make_app(make_monitor(db, config, simulate=False), clock=lambda: 2e9, live=False)

    async def body():
        async with app.run_test() as pilot:
            await settled(pilot)
            assert all(len(chart(app, i).series) == 0 for i in range(3))
            assert app.charts.timeline.live

    run(body())


def test_history_that_cannot_be_read_is_said_once(tmp_path, config):
    app = make_app(make_monitor(tmp_path / "missing.db", config), clock=lambda: 2e9, live=False)

    async def body():
        async with app.run_test() as pilot:
            await settled(pilot)
            seen: list[str] = []
            app.notify = lambda message, **kwargs: seen.append(message)  # type: ignore[method-assign]
            await pilot.press("left_square_bracket")
            await settled(pilot)
            for _ in range(10):  # what the 4 Hz tick does
                app.charts.loader.sync_view()
                await settled(pilot)
            assert len(seen) == 1 and "no database" in seen[0]

    run(body())
