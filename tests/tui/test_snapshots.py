"""Snapshot tests of the monitor: main screen, help, an expanded chart.

Deterministic by construction: a seeded scenario stored through the real pipeline at a fixed
date, a fixed clock for "now", `live=False` (no threads, no timers), and a relative database path
so the status line does not show the temporary directory.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sensor_tui.tui.app import make_app
from tests.conftest import SNAPSHOT_SECONDS, SNAPSHOT_START, fill_database, make_monitor

END = (SNAPSHOT_START + timedelta(seconds=SNAPSHOT_SECONDS)).timestamp()


@pytest.fixture
def snapshot_app(tmp_path, monkeypatch, config):
    """A not-started monitor on a database holding the fixed scenario."""
    monkeypatch.chdir(tmp_path)
    db = Path("sensor_data.db")
    fill_database(db, config, SNAPSHOT_START, SNAPSHOT_SECONDS)
    return make_app(make_monitor(db, config, seed=1), clock=lambda: END, live=False)


async def _history_drawn(pilot) -> None:
    """Until the screen stops changing: the history and alarm workers' messages are handled,
    and the tables have sized their columns (which they do when idle). Two fixed pauses were
    not always enough under load: the alarm panel was drawn with its header-wide columns."""
    await pilot.app.workers.wait_for_complete()
    previous = None
    for _ in range(40):
        await pilot.pause()
        shot = pilot.app.export_screenshot()
        if shot == previous:
            return
        previous = shot


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40), (200, 50)], ids=str)
def test_main_screen_at_every_size(snap_compare, snapshot_app, size):
    assert snap_compare(snapshot_app, terminal_size=size, run_before=_history_drawn)


def test_too_small_terminal_says_so(snap_compare, snapshot_app):
    assert snap_compare(snapshot_app, terminal_size=(50, 15), run_before=_history_drawn)


def test_panned_back_with_cursor(snap_compare, snapshot_app):
    async def pan_and_cursor(pilot) -> None:
        await _history_drawn(pilot)
        await pilot.press("left_square_bracket", "c", "full_stop", "full_stop", "full_stop")
        await _history_drawn(pilot)

    assert snap_compare(snapshot_app, terminal_size=(120, 40), run_before=pan_and_cursor)


def test_help_screen(snap_compare, snapshot_app):
    async def open_help(pilot) -> None:
        await _history_drawn(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=(100, 30), run_before=open_help)


def test_expanded_chart(snap_compare, snapshot_app):
    async def expand_rpm(pilot) -> None:
        await _history_drawn(pilot)
        await pilot.press("3", "e")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(snapshot_app, terminal_size=(100, 30), run_before=expand_rpm)
