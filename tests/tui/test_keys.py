"""The one key table: bindings, help, palette and the keys page of the docs all come from it."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console

from sensor_tui.tui import keys
from sensor_tui.tui.alarm_pane import AlarmPane
from sensor_tui.tui.alarm_screens import FilterScreen
from sensor_tui.tui.anomaly_table import AnomalyTable
from sensor_tui.tui.app import SensorApp
from sensor_tui.tui.charts_pane import ChartsPane
from sensor_tui.tui.help import help_table
from tests.conftest import make_monitor, run

KEYS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "keys.md"


def _documented_key_table() -> str:
    lines = KEYS_PAGE.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| key |"))
    table = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return "\n".join(table) + "\n"


def test_the_documented_key_table_is_the_generated_one():
    assert _documented_key_table() == keys.markdown_table(), (
        "docs/reference/keys.md differs from src/sensor_tui/tui/keys.py; run "
        "`python docs/gen_reference.py`"
    )


def test_app_bindings_are_the_key_table():
    bound = [k for k in keys.KEYS if k.bound]
    assert [b.id for b in SensorApp.BINDINGS] == [k.id for k in bound]
    assert [(b.key, b.action) for b in SensorApp.BINDINGS] == [(k.key, k.action) for k in bound]


def test_every_key_names_an_action_its_owner_has():
    owners = {"": SensorApp, "alarms": AlarmPane, "charts": ChartsPane}
    for k in keys.KEYS:
        owner, name = keys.owner_and_name(k.action)
        assert callable(getattr(owners[owner], f"action_{name}", None)), k


def test_no_key_or_id_is_used_twice():
    ids = [k.id for k in keys.KEYS]
    names = [name for k in keys.KEYS for name in k.key.split(",")]
    assert len(ids) == len(set(ids))
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert {k.group for k in keys.KEYS} <= set(keys.GROUPS)


def test_help_screen_lists_every_described_key():
    console = Console(width=200, record=True)
    console.print(help_table())
    text = console.export_text()
    for k in keys.KEYS:
        if k.help:
            assert re.search(rf"{re.escape(k.shown_as)}\s+{re.escape(k.help)}", text), k.id


def test_palette_offers_every_titled_key_and_runs_it(tmp_path, config):
    monitor = make_monitor(tmp_path / "db.sqlite", config, simulate=False)
    app = SensorApp(monitor, live=False)

    async def body():
        async with app.run_test() as pilot:
            commands = {cmd.title: cmd for cmd in app.get_system_commands(app.screen)}
            for k in keys.KEYS:
                if k.title and k.tag_index is None:
                    assert k.title in commands
            for tag in config.tags:
                assert f"Select {tag.name}" in commands
            assert "Select {tag}" not in commands
            app.call_later(
                commands["Select " + config.tags[2].name].callback
            )  # as the palette does
            await pilot.pause()
            assert app.charts.selected == 2
            app.call_later(commands["Database outage on / off"].callback)
            await pilot.pause()
            assert monitor.pipeline.outage_switch.on

    run(body())


def test_a_pane_s_keys_act_wherever_the_focus_is(tmp_path, config):
    """The keys are bound on the app with the owning pane's namespace, so the alarm pane's keys
    work while the reading table has the focus, and the charts' keys while either table has."""
    monitor = make_monitor(tmp_path / "db.sqlite", config, simulate=False)
    app = SensorApp(monitor, live=False)

    async def body():
        async with app.run_test(size=(150, 44)) as pilot:
            await pilot.press("r")
            await pilot.pause()
            assert app.focused is app.query_one(AnomalyTable)
            await pilot.press("f")  # the alarm pane's filter
            await pilot.pause()
            assert isinstance(app.screen, FilterScreen)
            await pilot.press("escape", "c")  # the charts' cursor
            await pilot.pause()
            assert app.charts.timeline.cursor is not None
            await pilot.press("r")
            await pilot.pause()
            assert app.focused is app.alarms.panel

    run(body())
