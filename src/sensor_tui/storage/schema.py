"""The database schema and its recorded versions (`PRAGMA user_version`).

Why versions: a user's `sensor_data.db` outlives the release that made it. Each change to the
schema is one numbered migration below, applied in order inside one transaction when a writer
opens the file, and the number reached is recorded in the file. A file made by an older release
gains what it lacks and loses nothing; a file from a newer release is refused rather than
half-understood. Readers never migrate (they open read-only, see `storage.reader`).

Version 0 is "no version recorded": either a new file or a file made before versions existed
(release 0.1.0, whose tables migration 1 creates with IF NOT EXISTS, so both start the same way).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.storage.rollups import create_rollups

MEASUREMENT_COLUMNS = {
    "id": int,
    "timestamp": str,
    "tag": str,
    "value": float,
    "is_anomaly": int,
    "score": float,
    "kind": str,
    "source": str,
}

INDEXES = (
    # "latest N of a tag" and every per-tag time range (also enforces one reading per moment).
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_measurements_tag_timestamp "
    "ON measurements (tag, timestamp)",
    # time ranges across all tags (GET /data without a tag, exports).
    "CREATE INDEX IF NOT EXISTS idx_measurements_timestamp ON measurements (timestamp)",
    # "anomalies since", small because anomalies are rare.
    "CREATE INDEX IF NOT EXISTS idx_measurements_anomalies "
    "ON measurements (timestamp) WHERE is_anomaly = 1",
    "CREATE INDEX IF NOT EXISTS idx_measurements_tag_anomalies "
    "ON measurements (tag, timestamp) WHERE is_anomaly = 1",
)

ANOMALIES_VIEW = (
    "SELECT id, timestamp, tag, value, score, kind, source FROM measurements WHERE is_anomaly = 1"
)


class SchemaTooNew(SensorTuiError):
    """The file was written by a newer sensor-tui; opening it could corrupt what we don't know."""


def _v1_baseline(db: Database) -> None:
    """Release 0.1.0's schema: measurements, tags, events, the anomalies view, alarms."""
    if "measurements" not in db.table_names():
        db.create_table(
            "measurements",
            MEASUREMENT_COLUMNS,
            pk="id",
            not_null=["timestamp", "tag", "value", "is_anomaly", "source"],
            defaults={"is_anomaly": 0},
        )
    for sql in INDEXES:
        db.execute(sql)
    db.create_table(
        "tags",
        {
            "name": str,
            "unit": str,
            "normal_low": float,
            "normal_high": float,
            "valid_low": float,
            "valid_high": float,
            "detector": str,
        },
        pk="name",
        if_not_exists=True,
    )
    db.create_table(
        "events",
        {
            "id": str,
            "start": str,
            "end": str,
            "tag": str,
            "kind": str,
            "source": str,
            "detail": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db.create_view("anomalies", ANOMALIES_VIEW, ignore=True)
    db.create_table(
        "alarms",
        {
            "id": str,
            "tag": str,
            "kind": str,
            "start": str,
            "end": str,
            "peak_score": float,
            "readings": int,
            "active": int,
        },
        pk="id",
        if_not_exists=True,
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_alarms_start ON alarms (start)")


def _v2_detection(db: Database) -> None:
    """Issue 9: each tag's alarm threshold on the calibrated score (NULL: the default).

    `measurements.score` keeps its column; from this version on it holds the calibrated score in
    [0, 1] for every reading (older rows keep the raw statistic they were stored with)."""
    if "threshold" not in db["tags"].columns_dict:
        db.execute("ALTER TABLE tags ADD COLUMN threshold FLOAT")


ALARM_LIFECYCLE_COLUMNS = (
    # (column, SQL type and default): what the alarm lifecycle adds to an `alarms` row.
    ("state", "TEXT NOT NULL DEFAULT 'unack'"),
    ("priority", "INTEGER NOT NULL DEFAULT 3"),
    ("acked_at", "TEXT"),
    ("acked_by", "TEXT"),
    ("shelved_until", "TEXT"),
    ("shelved_from_state", "TEXT"),
    ("last_value", "REAL"),
    ("peak_value", "REAL"),
    ("deviation", "REAL"),
    ("source", "TEXT"),
    ("origin", "TEXT"),
    ("updated_at", "TEXT"),
)


def _v3_alarm_lifecycle(db: Database) -> None:
    """Issue 11: alarm states the operator changes, and a journal of every transition.

    Alarms of an older file that are still open become active-unacknowledged; closed ones become
    normal (nobody acknowledged them, but a restart must not page the operator for history).
    """
    present = {row[1] for row in db.execute("PRAGMA table_info(alarms)").fetchall()}
    for column, sql_type in ALARM_LIFECYCLE_COLUMNS:
        if column not in present:
            db.execute(f"ALTER TABLE alarms ADD COLUMN {column} {sql_type}")
    db.execute("UPDATE alarms SET state = CASE WHEN active = 1 THEN 'unack' ELSE 'normal' END")
    db.execute(
        "CREATE TABLE IF NOT EXISTS alarm_events ("
        "id INTEGER PRIMARY KEY, alarm_id TEXT NOT NULL, time TEXT NOT NULL, "
        "from_state TEXT, to_state TEXT NOT NULL, actor TEXT NOT NULL, via TEXT NOT NULL, "
        "detail TEXT)"
    )
    for sql in ALARM_INDEXES:
        db.execute(sql)


ALARM_INDEXES = (
    # the panel and the gauges: alarms not yet normal, by state.
    "CREATE INDEX IF NOT EXISTS idx_alarms_state ON alarms (state)",
    "CREATE INDEX IF NOT EXISTS idx_alarms_tag_start ON alarms (tag, start)",
    "CREATE INDEX IF NOT EXISTS idx_alarm_events_alarm ON alarm_events (alarm_id, time)",
    "CREATE INDEX IF NOT EXISTS idx_alarm_events_time ON alarm_events (time)",
    # which fault lies behind an alarm: events of a tag by start.
    "CREATE INDEX IF NOT EXISTS idx_events_tag_start ON events (tag, start)",
)


def _v6_units(db: Database) -> None:
    """Unit health: each unit's learned reference (so a restart keeps it), the unit statistic of
    every observation (the unit's chart), and the contributions of a unit alarm's tags.

    A unit alarm is an `alarms` row like a tag's (its `tag` is the unit's name), so it has the
    same life cycle; `contributions` is its JSON object {tag: share}, NULL for a tag's alarm."""
    present = {row[1] for row in db.execute("PRAGMA table_info(alarms)").fetchall()}
    if "contributions" not in present:
        db.execute("ALTER TABLE alarms ADD COLUMN contributions TEXT")
    db.execute(
        "CREATE TABLE IF NOT EXISTS unit_references ("
        "unit TEXT PRIMARY KEY, detector TEXT NOT NULL, tags TEXT NOT NULL, state TEXT NOT NULL, "
        'since TEXT, "until" TEXT, observations INTEGER NOT NULL, origin TEXT NOT NULL, '
        "fitted_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS unit_scores ("
        "unit TEXT NOT NULL, timestamp TEXT NOT NULL, statistic REAL NOT NULL, "
        "control_limit REAL NOT NULL, is_anomaly INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (unit, timestamp)) WITHOUT ROWID"
    )


def _forward_watermarks(db: Database) -> None:
    """The historian forwarder's watermarks (`storage.forward_marks`)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS forward_watermark (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
    )


Migration = Callable[[Database], None]

MIGRATIONS: dict[int, Migration] = {
    1: _v1_baseline,
    2: _v2_detection,
    3: _v3_alarm_lifecycle,
    4: create_rollups,  # per-minute and per-hour rollups, kept by the writer
    5: _forward_watermarks,  # the historian forwarder's watermarks, written by the writer
    6: _v6_units,  # unit health: references, unit statistics, alarms.contributions
}
"""Version number -> the step that brings a file from the version before it to this one.

Issues that change the schema add one entry each; a step never edits an earlier one."""

SCHEMA_VERSION = max(MIGRATIONS)
"""The version this release writes."""


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0: none recorded)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database) -> list[int]:
    """Bring the file up to `SCHEMA_VERSION` in one transaction; returns the steps applied.

    Also switches the file to WAL (a property of the file, not of a migration: it cannot change
    inside a transaction, and every writer wants it).
    """
    conn = db.conn
    current = user_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"database schema version {current} is newer than this sensor-tui "
            f"understands ({SCHEMA_VERSION}); upgrade sensor-tui"
        )
    with db.ensure_autocommit_on():
        db.execute("PRAGMA journal_mode = WAL")
    steps = [v for v in sorted(MIGRATIONS) if v > current]
    if not steps:
        return []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for version in steps:
            MIGRATIONS[version](db)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return steps
