"""Issue 13: the real app (Pilot) with an MQTT source: readings reach the chart, the status line
shows the broker's state, and a broker going away shows as reconnecting."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sensor_tui.model.tags import Config
from sensor_tui.pipeline import RetryPolicy
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from sensor_tui.tui.app import make_app
from sensor_tui.tui.chart import TagChart
from sensor_tui.tui.status import StatusBar
from tests.conftest import run
from tests.support.mosquitto_harness import Broker, Publisher
from tests.support.waiting import app_wait_until

from .conftest import settings

pytestmark = pytest.mark.timeout(90)


def test_app_shows_mqtt_readings_and_broker_state(
    own_broker: Broker, tmp_path: Path, config: Config, prefix: str
) -> None:
    cfg = settings(own_broker.port, (f"{prefix}/#",), name="plant broker")
    options = MonitorOptions(db_path=tmp_path / "app.db", simulate=False, sources=(cfg,))
    monitor = Monitor(config, options, retry=RetryPolicy(attempts=2, base_delay=0.05))
    app = make_app(monitor)

    def status() -> str:
        return app.query_one(StatusBar).text

    async def body() -> None:
        async with app.run_test() as pilot:
            await app_wait_until(pilot, lambda: "plant broker ●" in status())
            assert "LIVE" in status()
            publisher = Publisher(own_broker.port)
            for value in (37.1, 37.2, 37.3):
                stamp = datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z"
                publisher.publish(
                    f"{prefix}/fermenter_temp", json.dumps({"value": value, "timestamp": stamp})
                )
            assert publisher.wait_all()
            publisher.close()
            await app_wait_until(pilot, lambda: "stored [b]3[/]" in status())
            chart = app.query_one("#chart-0", TagChart)  # fermenter_temp, the first tag
            await app_wait_until(pilot, lambda: len(chart.series) == 3)
            own_broker.stop()
            await app_wait_until(pilot, lambda: "plant broker ⟳ server down" in status())

    run(body())
