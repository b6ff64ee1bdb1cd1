"""`g` takes epoch seconds like the CLI and HTTP, and says so when the moment is in the future
or outside the stored readings (it used to go live, or show nothing, without a word)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sensor_tui.model.tags import Config
from sensor_tui.model.when import parse_when
from sensor_tui.tui.app import make_app
from tests.conftest import (
    SNAPSHOT_SECONDS,
    SNAPSHOT_START,
    fill_database,
    make_monitor,
    run,
)
from tests.support.waiting import app_wait_until

END = (SNAPSHOT_START + timedelta(seconds=SNAPSHOT_SECONDS)).timestamp()


def messages(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


async def go_to(pilot: Any, text: str) -> None:
    await pilot.press("g")
    await pilot.pause(0.1)
    await pilot.press(*text, "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


@pytest.fixture
def app(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    db = Path("sensor_data.db")
    fill_database(db, config, SNAPSHOT_START, SNAPSHOT_SECONDS)
    return make_app(make_monitor(db, config, seed=1), clock=lambda: END + 3600, live=False)


def test_epoch_seconds_move_the_charts_there(app: Any) -> None:
    moment = SNAPSHOT_START.timestamp() + 300

    async def body() -> None:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await app.workers.wait_for_complete()
            await go_to(pilot, str(int(moment)))
            since, until = app.charts.view_span()
            assert since <= moment <= until and not app.charts.timeline.live
            assert messages(app) == []

    run(body())


@pytest.mark.parametrize(
    ("text", "said"),
    [("2030-01-01", "is in the future"), ("2020-01-01", "No readings at 2020-01-01 00:00:00")],
)
def test_a_moment_without_readings_is_named(app: Any, text: str, said: str) -> None:
    async def body() -> None:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await app.workers.wait_for_complete()
            await go_to(pilot, text)
            await app_wait_until(pilot, lambda: any(said in m for m in messages(app)))

    run(body())


def test_epoch_seconds_parse_like_the_cli() -> None:
    assert parse_when("1392383100", 0) == 1392383100.0
    assert parse_when("1392383100.5", 0) == 1392383100.5
    assert parse_when("20140214", 0) == parse_when("2014-02-14", 0)  # a basic date, not epoch
