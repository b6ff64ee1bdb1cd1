"""Hostile input through HTTP, MQTT (a real Mosquitto) and CSV import into one running monitor:
it keeps running and answering, stores every acknowledged reading exactly once and nothing it
rejected, and the terminal UI still renders what was stored. `benchmarks/hostile.py` runs the
same with 100,000 inputs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sensor_tui.tui.app import make_app
from sensor_tui.tui.chart import TagChart
from sensor_tui.tui.status import StatusBar
from tests.conftest import make_monitor, run
from tests.sources.conftest import need_mosquitto
from tests.support.hostile_run import HostileRun
from tests.support.mosquitto_harness import Broker
from tests.support.waiting import app_wait_until

pytestmark = pytest.mark.timeout(90)

INPUTS = 3_000


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    need_mosquitto()
    process = Broker(tmp_path / "broker").start()
    yield process
    process.kill()


def test_hostile_input_from_three_sources_is_stored_once_or_rejected(
    tmp_path: Path, broker: Broker, config
) -> None:
    with HostileRun(tmp_path, broker.port, seed=7) as hostile:
        hostile.feed(INPUTS)
        report = hostile.audit()
        assert hostile.monitor.pipeline.snapshot().sources[0].state == "connected"
    print("\n".join(report.lines()))
    assert sum(report.inputs.values()) == INPUTS
    assert report.acknowledged > INPUTS // 5  # a third is valid by construction
    assert all(report.acknowledged_by[source] > 50 for source in ("http", "mqtt", "csv"))
    assert report.crashes == [] and report.server_errors == 0 and report.health == 200
    assert report.lost == [] and report.stored_twice == 0 and report.rejected_stored == []
    assert report.misjudged == []

    app = make_app(make_monitor(hostile.db, config, simulate=False))

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await app_wait_until(pilot, lambda: "db ok" in app.query_one(StatusBar).text)
            assert app.is_running and len(app.query(TagChart)) == 3

    run(body())
    assert app.return_code in (0, None)
