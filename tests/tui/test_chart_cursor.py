"""The chart cursor at the edges of the view: every tag's value is shown where readings exist.

The real app on a real SQLite file with a fixed clock (`live=False`: no timers, so what the
status line shows comes from the key press and the view it loads, not from a later tick).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sensor_tui.tui.app import make_app
from sensor_tui.tui.status import StatusBar
from tests.conftest import fill_database, make_monitor, run

pytestmark = pytest.mark.timeout(60)

START = datetime(2014, 2, 14, 12, 0, tzinfo=UTC)
TAGS = ("fermenter_temp", "fermenter_ph", "agitator_rpm")


async def settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


def test_cursor_moved_past_the_left_edge_shows_every_tags_value(tmp_path, config):
    """One step past the left edge pans the view so the cursor is its first moment; readings
    lie there (one a second), so no tag may show "–"."""
    db = tmp_path / "sensor_data.db"
    fill_database(db, config, START, 3600)
    end = START.timestamp() + 3000.5
    app = make_app(make_monitor(db, config), clock=lambda: end, live=False)

    async def body():
        async with app.run_test(size=(200, 50)) as pilot:  # wide: names beside values
            await settled(pilot)
            await pilot.press("c")
            await settled(pilot)
            since, _ = app.charts.view_span()
            app.charts.timeline.cursor = since + 0.2  # just inside the left edge
            await pilot.press("comma")  # one column left: past the edge, the view pans
            await settled(pilot)
            since, _ = app.charts.view_span()
            assert app.charts.timeline.cursor == pytest.approx(since)
            assert not app.charts.timeline.live
            text = app.query_one(StatusBar).text
            assert "–" not in text.split("UTC:", 1)[1]
            for tag in TAGS:
                assert f"{tag} " in text

    run(body())
