"""A database written by an older release may hold timestamps that are not in the stored form
(a lenient parser once stored `2026-12-07T19:46+01.000000Z`). The monitor skips and counts such
rows instead of dying in the history load or in `epoch()`, at every start."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sensor_tui.storage import Reader
from sensor_tui.storage.alarm_reads import list_alarms
from sensor_tui.tui.app import make_app
from sensor_tui.tui.status import StatusBar
from tests.conftest import fill_database, make_monitor, recent_start, run
from tests.support.waiting import app_wait_until

pytestmark = pytest.mark.timeout(60)


def garbage_like(moment: datetime) -> str:
    """What the old fast path stored for `...T19:46+01Z`: sorts among the window's rows."""
    return moment.strftime("%Y-%m-%dT%H:%M") + "+01.000000Z"


def plant_garbage(db: Path) -> None:
    near = datetime.now(UTC) - timedelta(seconds=90)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO measurements (timestamp, tag, value, is_anomaly, source) "
            "VALUES (?, 'fermenter_temp', 37.0, 1, 'http')",
            (garbage_like(near),),
        )
        conn.execute("CREATE TEMP TABLE one AS SELECT * FROM alarms LIMIT 1")
        conn.execute(
            "UPDATE one SET id = 'old-garbage', start = ?, \"end\" = ?",
            (garbage_like(near), garbage_like(near + timedelta(seconds=60))),
        )
        conn.execute("INSERT INTO alarms SELECT * FROM one")
        assert conn.execute("SELECT count(*) FROM alarms WHERE id = 'old-garbage'").fetchone()[0]


def test_readers_skip_and_count_rows_not_in_the_stored_form(tmp_path, config):
    db = tmp_path / "old.db"
    fill_database(db, config, recent_start(240), 200, seed=4)  # a run with alarms
    plant_garbage(db)
    reader = Reader(db)
    try:
        times, _, _ = reader.history("fermenter_temp", "2000", "9999")
        alarms = list_alarms(reader, limit=10_000)
    finally:
        reader.close()
    assert len(times) == 200
    assert "old-garbage" not in {row["id"] for row in alarms} and alarms
    assert reader.malformed == 2


def test_the_monitor_starts_and_runs_over_old_garbage_rows(tmp_path, config):
    db = tmp_path / "old.db"
    fill_database(db, config, recent_start(240), 200, seed=4)  # a run with alarms
    plant_garbage(db)
    app = make_app(make_monitor(db, config))

    async def body():
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            chart = app.query_one("#chart-0")
            await app_wait_until(pilot, lambda: len(chart.series) >= 210)
            assert "RUNNING" in app.query_one(StatusBar).text

    run(body())
    assert app.return_code in (0, None)
