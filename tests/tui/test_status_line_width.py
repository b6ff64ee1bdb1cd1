"""The status line is fitted, not cut: at 120 columns, panned back with the cursor on, both
lines fit whole (the least needed fields give way, tag names give way to units)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sensor_tui.model.counters import Snapshot
from sensor_tui.model.tags import Config
from sensor_tui.tui.app import make_app
from sensor_tui.tui.status import MonitorState, StatusBar, plain_width, status_markup
from tests.conftest import SNAPSHOT_SECONDS, SNAPSHOT_START, fill_database, make_monitor, run

END = (SNAPSHOT_START + timedelta(seconds=SNAPSHOT_SECONDS)).timestamp()


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
def test_panned_with_the_cursor_the_status_line_fits_whole(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.chdir(tmp_path)
    db = Path("sensor_data.db")
    fill_database(db, config, SNAPSHOT_START, SNAPSHOT_SECONDS)
    app = make_app(make_monitor(db, config, seed=1), clock=lambda: END, live=False)

    async def body() -> Any:
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("left_square_bracket", "c", "full_stop", "full_stop")
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
            app.refresh_status()
            status = app.query_one(StatusBar)
            first, second = status.text.split("\n")
            assert "⌖" in first and "◀" in first  # panned, cursor on
            for line in (first, second):
                assert plain_width(line) <= status.content_region.width, line

    run(body())


def test_the_fullest_line_that_fits_is_chosen() -> None:
    state = MonitorState(
        simulator=True,
        paused=False,
        frozen=False,
        frozen_count=3,
        window=900,
        db_path="sensor_data.db",
        view="2026-01-15 08:00:00 → 08:15:00 UTC",
        cursor="08:14:59 UTC: fermenter_temp 37.12, fermenter_ph 7.051, agitator_rpm 451.2",
        cursor_compact="08:14:59 37.12°C 7.051pH 451.2rpm",
    )
    wide = status_markup(state, Snapshot(), None).split("\n")[0]
    assert "fermenter_temp 37.12" in wide and "window" in wide
    narrow = status_markup(state, Snapshot(), 100).split("\n")[0]
    assert plain_width(narrow) <= 100 and "37.12°C" in narrow
