"""Storage through sqlite-utils: schema, idempotent writes, queries, indexes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from sensor_tui.model.readings import Reading
from sensor_tui.model.tags import Config
from sensor_tui.storage import OutageSwitch, Reader, Store, StoreUnavailable


def reading(tag: str, second: int, value: float, anomaly: bool = False) -> Reading:
    return Reading(
        tag,
        f"2026-01-01T00:00:{second:02d}.000000Z",
        value,
        "sim",
        anomaly,
        4.2 if anomaly else 0.1,
        "spike" if anomaly else None,
    )


def test_schema_is_the_documented_one(config: Config, db_path: Path) -> None:
    Store(db_path, config).open()
    db = Database(db_path)
    assert db["measurements"].columns_dict == {
        "id": int,
        "timestamp": str,
        "tag": str,
        "value": float,
        "is_anomaly": int,
        "score": float,
        "kind": str,
        "source": str,
    }
    assert db["measurements"].pks == ["id"]
    assert {"measurements", "tags", "events"} <= set(db.table_names())
    assert "anomalies" in db.view_names()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [row["name"] for row in db["tags"].rows] == list(config.tag_names)


def test_write_is_idempotent_on_tag_and_timestamp(config: Config, db_path: Path) -> None:
    store = Store(db_path, config)
    rows = [reading("fermenter_ph", s, 7.0) for s in range(5)]
    assert store.write(rows) == 5
    assert store.write([*rows, reading("fermenter_ph", 5, 7.1)]) == 1
    assert Database(db_path)["measurements"].count == 6


def test_values_round_trip_exactly(config: Config, db_path: Path) -> None:
    store = Store(db_path, config)
    values = [0.1, 1 / 3, 2999.999999999, 1e-300, 36.123456789012345, 0.0]
    store.write([reading("agitator_rpm", i, v) for i, v in enumerate(values)])
    got = [row["value"] for row in Reader(db_path).latest("agitator_rpm", limit=10)]
    assert got == values


def test_queries_and_anomalies_view(config: Config, db_path: Path) -> None:
    store = Store(db_path, config)
    store.write([reading("fermenter_ph", s, 7.0, anomaly=(s % 4 == 0)) for s in range(12)])
    store.write([reading("fermenter_temp", s, 37.0) for s in range(12)])
    reader = Reader(db_path)
    latest = reader.latest("fermenter_ph", limit=3)
    assert [row["timestamp"][17:19] for row in latest] == ["09", "10", "11"]
    window = reader.latest(
        "fermenter_ph",
        limit=100,
        since="2026-01-01T00:00:02.000000Z",
        until="2026-01-01T00:00:04.000000Z",
    )
    assert len(window) == 3
    anomalies = reader.anomalies("fermenter_ph", limit=2)
    assert [a["timestamp"][17:19] for a in anomalies] == ["04", "08"]
    view = list(Database(db_path).query("select tag, count(*) n from anomalies group by tag"))
    assert view == [{"tag": "fermenter_ph", "n": 3}]
    stats = {row["tag"]: row for row in reader.tag_stats(list(config.tag_names))}
    assert stats["fermenter_ph"]["count"] == 12 and stats["fermenter_ph"]["anomalies"] == 3
    assert stats["agitator_rpm"]["count"] == 0


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        (
            "SELECT * FROM measurements WHERE tag = 'a' ORDER BY timestamp DESC LIMIT 100",
            "idx_measurements_tag_timestamp",
        ),
        (
            "SELECT * FROM measurements WHERE is_anomaly = 1 AND timestamp >= 'x' "
            "ORDER BY timestamp DESC LIMIT 10",
            "idx_measurements_anomalies",
        ),
        (
            "SELECT * FROM measurements WHERE tag = 'a' AND is_anomaly = 1 "
            "ORDER BY timestamp DESC LIMIT 10",
            "idx_measurements_tag_anomalies",
        ),
    ],
)
def test_queries_use_their_index(config: Config, db_path: Path, sql: str, index: str) -> None:
    Store(db_path, config).open()
    plan = " ".join(
        str(row) for row in sqlite3.connect(db_path).execute(f"EXPLAIN QUERY PLAN {sql}")
    )
    assert index in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index gives the order


def test_outage_switch_makes_writes_fail(config: Config, db_path: Path) -> None:
    switch = OutageSwitch()
    store = Store(db_path, config, switch)
    switch.set(True)
    with pytest.raises(StoreUnavailable, match="outage"):
        store.write([reading("fermenter_ph", 1, 7.0)])
    switch.set(False)
    assert store.write([reading("fermenter_ph", 1, 7.0)]) == 1


def test_deleted_database_is_recreated_not_written_into_the_void(
    config: Config, db_path: Path
) -> None:
    store = Store(db_path, config)
    store.write([reading("fermenter_ph", 1, 7.0)])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    assert store.write([reading("fermenter_ph", 2, 7.0)]) == 1
    assert Database(db_path)["measurements"].count == 1


def test_locked_database_fails_within_the_busy_timeout(config: Config, db_path: Path) -> None:
    store = Store(db_path, config, busy_ms=100)
    store.open()
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            store.write([reading("fermenter_ph", 1, 7.0)])
    finally:
        locker.execute("ROLLBACK")
    assert store.write([reading("fermenter_ph", 1, 7.0)]) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_directory_is_unavailable(config: Config, tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreUnavailable):
            Store(locked / "x.db", config).open()
    finally:
        locked.chmod(0o700)


def test_where_binds_every_value_and_leaves_out_absent_terms() -> None:
    """The one WHERE builder of the readers: values are bound, never spliced into the SQL."""
    from sensor_tui.storage.reader import where

    assert where(("tag = ?", None), ("state IN ({})", [])) == ("", [])
    assert where(("tag IN ({})", ["a", "b"]), ("timestamp < ?", "2026"), ("x = ?", None)) == (
        " WHERE tag IN (?, ?) AND timestamp < ?",
        ["a", "b", "2026"],
    )
