"""`sensor-tui import` of a labelled scenario: kinds and alarms land in SQLite (issue 6)."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime

from sensor_tui.sources.simulator import generate_scenario
from sensor_tui.storage import connect
from sensor_tui.tags import Config, SimulatorSettings


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
    alarms = list(connect(db).query('select tag, kind, start, "end", active from alarms'))
    assert alarms and all(a["active"] == 0 for a in alarms)
    finished = [e for e in events if e.end is not None]  # not one cut short by the file's end
    assert len(finished) >= 10
    for event in finished:
        assert any(
            a["tag"] == event.tag and a["start"] <= event.end and a["end"] >= event.start
            for a in alarms
        ), f"missed {event.kind} on {event.tag} at {event.start}"
    assert len(alarms) <= len(events) + 1
