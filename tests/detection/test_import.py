"""`sensor-tui import` of a labelled scenario: kinds and alarms land in SQLite."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime

from sensor_tui.model.tags import Config, SimulatorSettings
from sensor_tui.sources.simulator import generate_scenario
from sensor_tui.storage import connect


def test_import_detects_and_groups_faults(tmp_path) -> None:
    config = Config(simulator=SimulatorSettings(spike_rate=0.0))
    start = datetime(2026, 1, 5, tzinfo=UTC)
    readings, events = generate_scenario(config, 21, 2 * 3600, start, 1.0, 3.0, quiet_start=900)
    path = tmp_path / "scenario.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "tag", "value"])
        writer.writerows((r.timestamp, r.tag, r.value) for r in readings)
    db = tmp_path / "s.db"
    done = subprocess.run(
        [sys.executable, "-m", "sensor_tui", "import", str(path), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = connect(db).query('select tag, kind, start, "end", active from alarms')
    alarms = [a for a in rows if a["tag"] in config.tag_names]  # the tags' (not the unit's)
    assert alarms and all(a["active"] == 0 for a in alarms)
    finished = [e for e in events if e.end is not None]  # not one cut short by the file's end
    assert len(finished) >= 10
    for event in finished:
        assert any(
            a["tag"] == event.tag and a["start"] <= event.end and a["end"] >= event.start
            for a in alarms
        ), f"missed {event.kind} on {event.tag} at {event.start}"
    assert len(alarms) <= len(events) + 1


def test_a_restart_keeps_the_learned_daily_cycle(tmp_path) -> None:
    """A week of a daily cycle at 5-minute readings, stored; the monitor restarts; a step of
    3 on the next day is seen. The restarted detector learns the time of day from the stored
    timestamps; warmed with values alone it saw the step only when it ended."""
    import math
    import random
    from datetime import timedelta

    from sensor_tui.model.readings import format_ts
    from sensor_tui.model.tags import Tag
    from sensor_tui.pipeline import Pipeline

    rng = random.Random(5)
    per_day = 288
    start = datetime(2026, 1, 5, tzinfo=UTC)

    def day(first: int, step_at: int | None = None) -> list[dict]:
        rows = []
        for i in range(first, first + per_day):
            value = 20.0 + 8.0 * math.sin(2 * math.pi * i / per_day) + rng.gauss(0.0, 0.3)
            if step_at is not None and step_at <= i < step_at + 60:
                value += 3.0
            stamp = format_ts(start + timedelta(seconds=300 * i))
            rows.append({"tag": "t", "timestamp": stamp, "value": value})
        return rows

    config = Config(tags=(Tag("t", "", (0.0, 40.0), (-100.0, 100.0)),))
    db, dead = tmp_path / "d.db", tmp_path / "dl.jsonl"
    first = Pipeline(config, db, dead)
    first.start(replay=False)
    for k in range(7):
        first.submit(day(k * per_day), "http").result(10)
    first.stop()

    fault = 7 * per_day + 100
    again = Pipeline(config, db, dead)
    again.start(replay=False)  # warms the detector from the stored history
    try:
        again.submit(day(7 * per_day, step_at=fault), "http").result(10)
    finally:
        again.stop()
    alarms = list(connect(db).query("select start from alarms"))
    step_start = format_ts(start + timedelta(seconds=300 * fault))
    soon = format_ts(start + timedelta(seconds=300 * (fault + 5)))
    step_end = format_ts(start + timedelta(seconds=300 * (fault + 60)))
    # Seen as it starts (warmed with values alone: only as it ended, five hours late).
    assert [a for a in alarms if step_start <= a["start"] <= soon], alarms
    assert all(step_start <= a["start"] <= step_end for a in alarms)  # and nothing else
