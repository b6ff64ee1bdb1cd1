"""Pilot tests of the monitor: every key, the outage path, history, resize, quit.

Each test drives the real app on a real SQLite file with the real pipeline and (unless --no-sim)
a real simulator thread ticking every 50 ms.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sensor_tui.model.tags import Config, Tag
from sensor_tui.pipeline import PipelineStopped
from sensor_tui.sources.simulator import FAULT_KINDS
from sensor_tui.tui.anomaly_table import AnomalyRow, AnomalyTable
from sensor_tui.tui.app import make_app
from sensor_tui.tui.chart import ChartPanel, TagChart
from sensor_tui.tui.help import HelpScreen
from sensor_tui.tui.status import StatusBar
from tests.conftest import fill_database, make_monitor, recent_start, run
from tests.support.toasts import record_notifications
from tests.support.waiting import app_wait_until

pytestmark = pytest.mark.timeout(60)


def status(app) -> str:
    return app.query_one(StatusBar).text


def chart(app, index: int) -> TagChart:
    return app.query_one(f"#chart-{index}", TagChart)


def panel(app, index: int) -> ChartPanel:
    return app.query_one(f"#panel-{index}", ChartPanel)


def stored_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM measurements").fetchone()[0]


def test_start_loads_history_and_shows_live_readings(tmp_path, config):
    db = tmp_path / "sensor_data.db"
    fill_database(db, config, recent_start(240), 200, seed=4)  # a run with anomalies
    monitor = make_monitor(db, config)
    app = make_app(monitor)

    async def body():
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            first = chart(app, 0)
            await app_wait_until(pilot, lambda: len(first.series) >= 210)
            assert first.series.times[0] < first.series.times[-1] - 200  # history, then live
            assert first.plotted_points > 0
            assert "RUNNING" in status(app) and "fermenter_temp" in str(panel(app, 0).border_title)
            table = app.query_one(AnomalyTable)
            row = {"timestamp": "2026-01-01T00:00:00.000000Z", "tag": "fermenter_temp"}
            spike = {**row, "value": 41.0, "kind": "spike", "score": 0.9}
            table.add_anomalies([AnomalyRow.from_row(spike)])
            assert table.rows_shown  # held while the table is hidden behind the alarm panel
            assert table.row_count == 0  # but not laid out there
            await pilot.press("r")  # the reading table: filled when shown
            await app_wait_until(pilot, lambda: table.row_count == len(table.rows_shown))

    run(body())


def test_p_pauses_and_resumes_the_simulator(tmp_path, config):
    monitor = make_monitor(tmp_path / "db.sqlite", config)
    app = make_app(monitor)

    async def body():
        async with app.run_test() as pilot:
            await app_wait_until(pilot, lambda: monitor.pipeline.snapshot().stored > 0)
            await pilot.press("p")
            assert monitor.simulator.paused
            await app_wait_until(pilot, lambda: "PAUSED" in status(app))
            await pilot.pause(0.2)
            before = monitor.pipeline.snapshot().stored
            await pilot.pause(0.3)
            assert monitor.pipeline.snapshot().stored == before
            await pilot.press("p")
            assert not monitor.simulator.paused
            await app_wait_until(pilot, lambda: monitor.pipeline.snapshot().stored > before)
            await app_wait_until(pilot, lambda: "RUNNING" in status(app))

    run(body())


def test_space_freezes_charts_while_ingest_continues(tmp_path, config):
    monitor = make_monitor(tmp_path / "db.sqlite", config)
    app = make_app(monitor)

    async def body():
        async with app.run_test() as pilot:
            first = chart(app, 0)
            await app_wait_until(pilot, lambda: first.plotted_points > 0)
            await pilot.press("space")
            assert app.charts.frozen
            drawn_at, drawn = first.replotted_at, first.plotted_points
            stored = monitor.pipeline.snapshot().stored
            await app_wait_until(pilot, lambda: monitor.pipeline.snapshot().stored > stored + 30)
            await app_wait_until(pilot, lambda: "FROZEN +" in status(app))
            assert app.charts.frozen_count > 0
            assert (first.replotted_at, first.plotted_points) == (drawn_at, drawn)
            await pilot.press("space")
            assert not app.charts.frozen and first.replotted_at > drawn_at
            assert first.plotted_points > drawn

    run(body())


def test_number_keys_and_tab_select_a_tag(tmp_path, config):
    app = make_app(make_monitor(tmp_path / "db.sqlite", config))

    async def body():
        async with app.run_test() as pilot:
            assert panel(app, 0).has_class("-selected")
            await pilot.press("2")
            assert app.charts.selected == 1 and panel(app, 1).has_class("-selected")
            assert not panel(app, 0).has_class("-selected")
            await pilot.press("3", "tab")
            assert (
                app.charts.selected == 3 and app.charts.selected_unit == "fermenter"
            )  # the unit's chart
            await pilot.press("tab")
            assert app.charts.selected == 0
            await pilot.press("shift+tab", "shift+tab")
            assert app.charts.selected == 2
            await pilot.press("9")  # three tags and one unit: nothing happens
            assert app.charts.selected == 2

    run(body())


def test_fault_keys_inject_on_the_selected_tag(tmp_path, config):
    db = tmp_path / "db.sqlite"
    monitor = make_monitor(db, config)
    app = make_app(monitor)
    injected: list[tuple[str, str]] = []
    inject = monitor.simulator.inject

    def spy(tag, kind, duration=None):
        injected.append((tag, kind))
        return inject(tag, kind, duration)

    monitor.simulator.inject = spy

    async def body():
        async with app.run_test() as pilot:
            await pilot.press("2", "s", "d", "k", "n")
            kinds = ["spike", "drift", "stuck", "noise"]
            assert injected == [("fermenter_ph", kind) for kind in kinds]
            active = {(e.tag, e.kind) for e in monitor.simulator.active_faults()}
            assert {("fermenter_ph", k) for k in ("drift", "stuck", "noise")} <= active

            def events_stored() -> set[str]:
                with sqlite3.connect(db) as conn:
                    rows = conn.execute(
                        "SELECT kind FROM events WHERE tag = 'fermenter_ph' AND source = 'key'"
                    ).fetchall()
                return {row[0] for row in rows}

            await app_wait_until(pilot, lambda: events_stored() == set(kinds))
            assert set(kinds) <= set(FAULT_KINDS)

    run(body())


def test_outage_key_fills_retry_queue_then_dead_letter_then_drains(tmp_path, config):
    db = tmp_path / "db.sqlite"
    monitor = make_monitor(db, config)
    app = make_app(monitor)

    async def body():
        async with app.run_test(size=(120, 30)) as pilot:
            snap = monitor.pipeline.snapshot
            await app_wait_until(pilot, lambda: snap().stored > 0)
            await pilot.press("o")
            assert monitor.pipeline.outage_switch.on
            await app_wait_until(pilot, lambda: snap().retry_depth > 0)
            await app_wait_until(pilot, lambda: "DB OUTAGE" in status(app))
            await app_wait_until(pilot, lambda: snap().dead_letter_pending > 0)
            await app_wait_until(pilot, lambda: "dead letter [b $error]" in status(app))
            await pilot.press("o")
            assert not monitor.pipeline.outage_switch.on
            await app_wait_until(pilot, lambda: snap().retry_depth == 0)
            await app_wait_until(pilot, lambda: snap().dead_letter_pending == 0)
            await app_wait_until(pilot, lambda: "db ok" in status(app))
            assert snap().dead_lettered > 0 and snap().replayed > 0

    run(body())
    snap = monitor.pipeline.snapshot()
    assert stored_rows(db) == snap.stored  # every dead-lettered reading came back


def test_plus_and_minus_change_window_and_read_older_points_from_sqlite(tmp_path, config):
    db = tmp_path / "db.sqlite"
    fill_database(db, config, recent_start(3000), 600, faults_per_hour=0)  # 50 to 40 min ago
    monitor = make_monitor(db, config, simulate=False)
    app = make_app(monitor)

    async def body():
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            first = chart(app, 0)
            assert len(first.series) == 0  # nothing in the last 5 minutes
            await pilot.press("plus", "plus")  # 15m, 1h
            assert app.charts.window == 3600
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(first.series) == 600 and first.plotted_points > 0
            assert "window [b]1h[/]" in status(app)
            await pilot.press("minus", "minus", "minus")  # 15m, 5m, 1m
            assert app.charts.window == 60 and len(first.series) == 0  # trimmed
            notes = record_notifications(app)
            await pilot.press("minus")
            assert app.charts.window == 60 and any("already 1m" in note for note in notes)

    run(body())


def test_e_expands_the_selected_chart(tmp_path, config):
    app = make_app(make_monitor(tmp_path / "db.sqlite", config))

    async def body():
        async with app.run_test() as pilot:
            await pilot.press("2", "e")
            await pilot.pause()
            assert app.screen.has_class("-expanded")
            assert panel(app, 1).display and chart(app, 1).size.height > 15
            assert not panel(app, 0).display and not panel(app, 2).display
            assert not app.query_one(AnomalyTable).display
            await pilot.press("3")
            await pilot.pause()
            assert panel(app, 2).display and not panel(app, 1).display
            await pilot.press("e")
            await pilot.pause()
            assert all(panel(app, i).display for i in range(3))

    run(body())


def test_question_mark_opens_help_and_escape_closes_it(tmp_path, config):
    app = make_app(make_monitor(tmp_path / "db.sqlite", config))

    async def body():
        async with app.run_test() as pilot:
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)

    run(body())


def test_q_quits_after_flushing_everything(tmp_path, config):
    db = tmp_path / "db.sqlite"
    monitor = make_monitor(db, config)
    app = make_app(monitor)

    async def body():
        async with app.run_test() as pilot:
            await app_wait_until(pilot, lambda: monitor.pipeline.snapshot().stored > 10)
            await pilot.press("q")
            await app_wait_until(pilot, lambda: not app.is_running)

    run(body())
    with pytest.raises(PipelineStopped):
        monitor.pipeline.submit([], "http")
    snap = monitor.pipeline.snapshot()
    assert snap.received == snap.stored + snap.duplicates + snap.rejected_total + snap.dead_lettered
    assert stored_rows(db) == snap.stored


def test_ctrl_c_quits_after_flushing_too(tmp_path, config):
    db = tmp_path / "db.sqlite"
    monitor = make_monitor(db, config)
    app = make_app(monitor)

    async def body():
        async with app.run_test() as pilot:
            await app_wait_until(pilot, lambda: monitor.pipeline.snapshot().stored > 5)
            await pilot.press("ctrl+c")
            await app_wait_until(pilot, lambda: not app.is_running)

    run(body())
    assert stored_rows(db) == monitor.pipeline.snapshot().stored


def test_duration_quits_by_itself_and_flushes(tmp_path, config):
    db = tmp_path / "db.sqlite"
    monitor = make_monitor(db, config)
    app = make_app(monitor, duration=0.5)

    async def body():
        async with app.run_test() as pilot:
            await app_wait_until(pilot, lambda: not app.is_running, timeout=10)

    run(body())
    assert app.return_code == 0
    assert stored_rows(db) == monitor.pipeline.snapshot().stored > 0


def test_without_simulator_keys_explain_instead_of_crashing(tmp_path, config):
    app = make_app(make_monitor(tmp_path / "db.sqlite", config, simulate=False))

    async def body():
        async with app.run_test() as pilot:
            notes = record_notifications(app)
            await pilot.press("p", "s", "k")
            assert len(notes) == 3 and all("--no-sim" in note for note in notes)
            assert "NO INPUT" in status(app) and "HTTP ONLY" not in status(app)

    run(body())


def test_command_palette_lists_every_action(tmp_path, config):
    monitor = make_monitor(tmp_path / "db.sqlite", config)
    app = make_app(monitor)

    async def body():
        async with app.run_test() as pilot:
            titles = [cmd.title for cmd in app.get_system_commands(app.screen)]
            for wanted in (
                "Pause / resume simulator",
                "Freeze / unfreeze charts",
                "Inject spike",
                "Inject drift",
                "Inject stuck",
                "Inject noise",
                "Database outage on / off",
                "Widen time window",
                "Narrow time window",
                "Expand / collapse chart",
                "Next tag",
                "Select agitator_rpm",
                "Help: keys and panels",
                "Quit after flushing",
            ):
                assert wanted in titles
            await pilot.press("ctrl+p")
            await pilot.press(*"Database outage")
            await app_wait_until(pilot, lambda: _palette_has_match(app))
            await pilot.press("enter")
            await app_wait_until(pilot, lambda: monitor.pipeline.outage_switch.on)

    run(body())


def _palette_has_match(app) -> bool:
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    return bool(lists) and lists.first().option_count > 0


def test_one_toast_per_new_alarm_and_a_flood_is_summed_up(tmp_path):
    """A toast says that an alarm was raised, once: the alarm's later flagged readings raise
    none; four alarms raised in one commit give three toasts and one "and 1 more"."""
    tags = tuple(Tag(f"line_{i}_temp", "°C", (35.0, 40.0), (-20.0, 150.0)) for i in range(5))
    config = Config(tags=tags)
    monitor = make_monitor(tmp_path / "db.sqlite", config, simulate=False)
    app = make_app(monitor)
    start = recent_start(600)

    def at(seconds: int) -> str:
        from datetime import timedelta

        return (start + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

    def outlier(tag: str, second: int) -> dict:
        return {"tag": tag, "timestamp": at(second), "value": 80.0}

    async def body():
        async with app.run_test(size=(120, 40)) as pilot:
            notes = record_notifications(app)
            calm = [
                {"tag": tag.name, "timestamp": at(i), "value": 37.0 + 0.1 * (i % 3)}
                for tag in tags
                for i in range(200)  # past the default detector's warm-up
            ]
            monitor.pipeline.submit(calm, "http").result(5)
            first = tags[0].name
            for second in (200, 201, 202):  # one alarm: its second and third reading add none
                result = monitor.pipeline.submit([outlier(first, second)], "http").result(5)
                assert result.anomalies == 1
                await pilot.pause(0.05)
            await app_wait_until(pilot, lambda: any(n.startswith("Alarm") for n in notes))
            await pilot.pause(0.2)
            alarms = [note for note in notes if note.startswith("Alarm")]
            assert len(alarms) == 1, notes
            assert f"{first}: spike at 80" in alarms[0] and "°C" in alarms[0]

            burst = [outlier(tag.name, 203) for tag in tags[1:]]
            burst.append({"tag": first, "timestamp": at(203), "value": 37.1})
            monitor.pipeline.submit(burst, "http").result(5)
            await app_wait_until(pilot, lambda: any("more new alarm" in n for n in notes))
            await pilot.pause(0.2)
            alarms = [note for note in notes if note.startswith("Alarm:")]
            assert len(alarms) == 1 + 3, notes
            assert [n for n in notes if "more new alarm" in n] == [
                "Alarm flood: and 1 more new alarm: see the alarm panel"
            ]

    run(body())


def test_resize_and_many_tags_keep_charts_readable(tmp_path):
    tags = tuple(Tag(f"line_{i}_temp", "°C", (35.0, 40.0), (-20.0, 150.0)) for i in range(7))
    config = Config(tags=tags)
    app = make_app(make_monitor(tmp_path / "db.sqlite", config))

    async def body():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            grid = app.query_one("#charts")
            assert app.screen.has_class("-narrow")
            assert all(chart(app, i).size.height >= 7 for i in range(7))  # scroll, not squash
            await pilot.press("7")
            await pilot.pause()
            assert grid.scroll_y > 0  # the selected chart is scrolled into view
            await pilot.resize_terminal(200, 60)
            await pilot.pause(0.2)
            assert app.screen.has_class("-wide")
            assert grid.styles.grid_size_columns == 2
            assert chart(app, 0).size.width < 100 and chart(app, 0).size.height >= 7
            await pilot.press("e")
            await pilot.pause(0.2)
            assert grid.styles.grid_size_columns == 1 and chart(app, 6).size.height > 30
            await pilot.press("e")
            await pilot.resize_terminal(80, 24)
            await pilot.pause(0.2)
            assert grid.styles.grid_size_columns == 1

    run(body())


def test_unusable_database_exits_with_a_reason(tmp_path, config):
    app = make_app(make_monitor(tmp_path / "missing" / "dir" / "db.sqlite", config))

    async def body():
        async with app.run_test() as pilot:
            await app_wait_until(pilot, lambda: not app.is_running)

    run(body())
    assert app.return_code == 2


def test_footer_shows_whole_hints_only_and_gives_them_back_when_wider(tmp_path, config):
    """At 60 and 80 columns the last hint used to be cut mid-word ("c Curso"): every hint shown
    now lies entirely on screen, the rest are hidden, and a wider terminal shows them again."""
    from textual.widgets import Footer

    app = make_app(make_monitor(tmp_path / "db.sqlite", config, simulate=False))

    def shown(footer) -> list:
        return [child for child in footer.children if child.display]

    async def body():
        async with app.run_test(size=(60, 24)) as pilot:
            footer = app.query_one(Footer)
            for width in (60, 80):
                await pilot.resize_terminal(width, 24)
                await app_wait_until(pilot, lambda: len(shown(footer)) < len(footer.children))
                await pilot.pause(0.1)
                visible = shown(footer)
                assert visible and all(c.region.right <= footer.region.right for c in visible)
                assert "Help" in str(visible[1].render())  # the way to every key stays
            narrow = len(shown(footer))
            await pilot.resize_terminal(200, 24)
            await app_wait_until(pilot, lambda: len(shown(footer)) > narrow)

    run(body())
