"""The monitor's charts at every supported terminal size, read from what plotext built.

The real app (`live=False`, a fixed clock) on a real SQLite file holding the seeded snapshot
scenario: at each size every chart in view fills its widget exactly, keeps its band on rows
labelled with the limits, and has its clock-time axis and its unit.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sensor_tui.tui.app import make_app
from sensor_tui.tui.chart import TagChart
from tests.conftest import (
    SNAPSHOT_SECONDS,
    SNAPSHOT_START,
    fill_database,
    make_monitor,
    run,
)

pytestmark = pytest.mark.timeout(60)

END = (SNAPSHOT_START + timedelta(seconds=SNAPSHOT_SECONDS)).timestamp()


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40), (200, 50)], ids=str)
def test_charts_fill_their_widgets_with_band_axis_and_unit(tmp_path, config, size):
    db = tmp_path / "sensor_data.db"
    fill_database(db, config, SNAPSHOT_START, SNAPSHOT_SECONDS)
    app = make_app(make_monitor(db, config, seed=1), clock=lambda: END, live=False)

    async def body() -> None:
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            for _ in range(3):
                await pilot.pause()
            drawn = [chart for chart in app.query(TagChart) if chart.size.height >= 5]
            assert drawn
            for chart in drawn:
                rows = chart.built.plain.split("\n")
                assert len(rows) == chart.size.height
                assert all(len(row) == chart.size.width for row in rows)
                low, high = chart.tag.normal
                for limit in (f"{low:g}", f"{high:g}"):
                    row = next(r for r in rows if r.split()[:1] == [limit])
                    assert row.count("─") > chart.size.width // 3
                axis = rows[-1]
                assert axis.startswith(chart.tag.unit) and "08:1" in axis
                assert chart.plotted_points > 0

    run(body())
