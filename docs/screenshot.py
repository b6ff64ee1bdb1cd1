"""Regenerate docs/screenshot.svg: the real monitor on 15 minutes of seeded history plus a few
seconds of live simulator readings, with a drift injected on the selected tag.

    python docs/screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from sensor_tui.sources.simulator import generate_scenario
from sensor_tui.tui.app import make_app

SIZE = (140, 40)
OUT = Path(__file__).resolve().with_name("screenshot.svg")


def main() -> None:
    """Fill a temporary database, run the app for a few seconds, save the screen as SVG."""
    config = load_config(None)
    os.chdir(tempfile.mkdtemp(prefix="sensor-tui-shot-"))  # the status line shows the db path
    db = Path("sensor_data.db")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
    readings, _ = generate_scenario(
        config, seed=7, readings_per_tag=900, start=end - timedelta(seconds=900), faults_per_hour=8
    )
    pipeline = Pipeline(config, db)
    pipeline.start()
    pipeline.submit_readings(readings).result(60)
    pipeline.stop()
    monitor = Monitor(config, MonitorOptions(db_path=db, seed=1, interval=1.0))
    app = make_app(monitor)

    async def shoot() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause(2.0)
            await pilot.press("d")
            await pilot.pause(4.0)
            app.clear_notifications()
            await pilot.pause(0.5)
            app.save_screenshot(filename=OUT.name, path=str(OUT.parent))

    asyncio.run(shoot())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
