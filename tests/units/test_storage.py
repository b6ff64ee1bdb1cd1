"""Unit health in SQLite: schema step, references, statistics, unit alarm rows (real files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sensor_tui.alarming.unit_alarms import UnitAlarmTracker
from sensor_tui.detection.unit_base import UnitVerdict
from sensor_tui.model.tags import Config
from sensor_tui.storage import SCHEMA_VERSION, Reader, Store
from sensor_tui.storage.alarm_reads import get_alarm, list_alarms
from sensor_tui.storage.units import Reference, UnitRows, load_references, load_scores

TAGS = ("fermenter_temp", "fermenter_ph", "agitator_rpm")


def reference(origin: str = "warm-up") -> Reference:
    state = {"mean": [37.5, 7.0, 450.0], "nested": {"k": [[1.0, 0.5], [0.5, 1.0]]}}
    return Reference(
        "fermenter", "default", TAGS, state, "2026-01-01T00:00:00.000000Z",
        "2026-01-01T00:10:00.000000Z", 600, origin, "2026-01-01T00:10:01.000000Z",
    )  # fmt: skip


def test_a_reference_survives_closing_the_file(db_path: Path, config: Config) -> None:
    store = Store(db_path, config)
    store.open()
    store.save_unit_reference(reference())
    store.save_unit_reference(reference("operator"))  # replaces: one reference per unit
    store.close()
    reader = Reader(db_path)
    try:
        loaded = load_references(reader.connection().conn)
    finally:
        reader.close()
    assert loaded == {"fermenter": reference("operator")}
    version = sqlite3.connect(db_path).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION >= 6


def test_unit_statistics_and_alarm_rows_are_written_with_one_transaction(
    db_path: Path, config: Config
) -> None:
    tracker = UnitAlarmTracker("fermenter", TAGS, hold_off=2)
    flagged = UnitVerdict(9.0, 3.0, True, "relation", {"fermenter_ph": 0.8, "agitator_rpm": 0.2})
    calm = UnitVerdict(1.0, 3.0, False)
    stamps = [f"2026-01-01T00:00:0{i}.000000Z" for i in range(5)]
    for stamp, verdict in zip(stamps, (calm, flagged, flagged, calm, calm), strict=True):
        tracker.feed(stamp, verdict)
    scores = [("fermenter", s, 1.0, 3.0, 0) for s in stamps]
    store = Store(db_path, config)
    store.open()
    store.upsert_alarms([], UnitRows(scores, [], tracker.take_rows()))
    store.close()
    reader = Reader(db_path)
    try:
        (row,) = list_alarms(reader, tag="fermenter")
        assert get_alarm(reader, row["id"]) == row
        got = load_scores(reader.connection().conn, "fermenter", stamps[0])
    finally:
        reader.close()
    assert (row["kind"], row["readings"], row["active"], row["state"]) == (
        "relation", 2, 0, "rtn_unack",
    )  # fmt: skip
    assert row["contributions"] == {"fermenter_ph": 0.8, "agitator_rpm": 0.2}
    assert row["peak_score"] == 3.0  # three times the limit
    assert [s[0] for s in got] == stamps and got[0][1:] == (1.0, 3.0, False)
