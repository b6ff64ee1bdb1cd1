"""Regenerate docs/alarms.svg: the alarm panel on 30 minutes of seeded history with injected
faults (one shelved), a few seconds of live readings, a stuck sensor injected and the newest
alarm acknowledged with `a`.

    python docs/alarms_screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sensor_tui.alarming.commands import AlarmCommand, shelve_until
from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from sensor_tui.sources.simulator import generate_scenario
from sensor_tui.storage import Reader
from sensor_tui.storage.alarm_reads import list_alarms
from sensor_tui.tui.app import make_app

SIZE = (150, 42)
OUT = Path(__file__).resolve().with_name("alarms.svg")
SECONDS = 1800


def fill(db: Path) -> None:
    """Seeded history with faults through the real pipeline; shelve one alarm."""
    config = load_config(None)
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
    readings, events = generate_scenario(
        config,
        seed=5,
        readings_per_tag=SECONDS,
        start=end - timedelta(seconds=SECONDS),
        faults_per_hour=6,
        quiet_start=300,
    )
    pipeline = Pipeline(config, db)
    pipeline.start()
    for event in events:
        pipeline.record_event(event)
    for i in range(0, len(readings), 60):
        pipeline.submit_readings(readings[i : i + 60]).result(60)
    pipeline.flush()
    reader = Reader(db)
    rows = list_alarms(reader, ("unack", "rtn_unack"), limit=10)
    reader.close()
    if len(rows) >= 3:
        until = shelve_until(3600)
        pipeline.alarm_command(AlarmCommand("shelve", (rows[2]["id"],), until=until)).result(10)
    pipeline.stop()


def main() -> None:
    """Fill a temporary database, run the app for a few seconds, save the screen as SVG."""
    os.chdir(tempfile.mkdtemp(prefix="sensor-tui-alarms-"))
    db = Path("sensor_data.db")
    fill(db)
    monitor = Monitor(load_config(None), MonitorOptions(db_path=db, seed=1, interval=1.0))
    app = make_app(monitor)

    async def shoot() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause(1.0)
            await pilot.press("k")
            await pilot.pause(6.0)
            await pilot.press(*["up"] * 6, "a")  # acknowledge the newest alarm
            await pilot.pause(1.0)
            app.clear_notifications()
            await pilot.pause(0.5)
            app.save_screenshot(filename=OUT.name, path=str(OUT.parent))

    asyncio.run(shoot())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
