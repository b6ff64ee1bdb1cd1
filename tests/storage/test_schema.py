"""Schema versions and read-only readers."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sensor_tui.model.tags import Config
from sensor_tui.storage import (
    SCHEMA_VERSION,
    Reader,
    SchemaTooNew,
    Store,
    StoreUnavailable,
    user_version,
)

RELEASE_0_1_0_SCHEMA = """
CREATE TABLE [measurements] ([id] INTEGER PRIMARY KEY, [timestamp] TEXT NOT NULL, [tag] TEXT NOT
  NULL, [value] FLOAT NOT NULL, [is_anomaly] INTEGER NOT NULL DEFAULT 0, [score] FLOAT, [kind] TEXT,
  [source] TEXT NOT NULL);
CREATE UNIQUE INDEX idx_measurements_tag_timestamp ON measurements (tag, timestamp);
CREATE TABLE [tags] ([name] TEXT PRIMARY KEY, [unit] TEXT, [normal_low] FLOAT, [normal_high] FLOAT,
  [valid_low] FLOAT, [valid_high] FLOAT, [detector] TEXT);
CREATE TABLE [events] ([id] TEXT PRIMARY KEY, [start] TEXT, [end] TEXT, [tag] TEXT, [kind] TEXT,
  [source] TEXT, [detail] TEXT);
CREATE VIEW anomalies AS SELECT id, timestamp, tag, value, score, kind, source FROM measurements
  WHERE is_anomaly = 1;
CREATE TABLE [alarms] ([id] TEXT PRIMARY KEY, [tag] TEXT, [kind] TEXT, [start] TEXT, [end] TEXT,
  [peak_score] FLOAT, [readings] INTEGER, [active] INTEGER);
INSERT INTO measurements (timestamp, tag, value, is_anomaly, score, kind, source) VALUES
  ('2026-01-01T00:00:00.000000Z', 'fermenter_temp', 37.5, 0, 0.1, NULL, 'sim'),
  ('2026-01-01T00:00:01.000000Z', 'fermenter_temp', 90.0, 1, 9.5, 'spike', 'sim'),
  ('2026-01-01T00:00:02.000000Z', 'fermenter_ph', 7.0, 0, 0.2, NULL, 'http');
INSERT INTO events VALUES ('e1', '2026-01-01T00:00:01.000000Z', NULL, 'fermenter_temp', 'spike',
  'operator', NULL);
INSERT INTO alarms VALUES ('a1', 'fermenter_temp', 'spike', '2026-01-01T00:00:01.000000Z', NULL,
  9.5, 1, 1);
"""
"""What release 0.1.0 (no recorded version) left in a user's file, with a few rows."""


def old_release_file(path: Path) -> Path:
    """A database as release 0.1.0 made it: rollback journal, no user_version."""
    conn = sqlite3.connect(path)
    conn.executescript(RELEASE_0_1_0_SCHEMA)
    conn.commit()
    conn.close()
    return path


def digest(path: Path) -> str:
    """The file's bytes (the main database file: what a reader must never change)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_file_records_the_schema_version(config: Config, db_path: Path) -> None:
    Store(db_path, config).open()
    conn = sqlite3.connect(db_path)
    assert user_version(conn) == SCHEMA_VERSION >= 1
    conn.close()


def test_a_release_0_1_0_file_migrates_and_loses_nothing(config: Config, tmp_path: Path) -> None:
    path = old_release_file(tmp_path / "old.db")
    store = Store(path, config)
    store.open()
    store.close()
    conn = sqlite3.connect(path)
    assert user_version(conn) == SCHEMA_VERSION
    rows = conn.execute("SELECT timestamp, tag, value, kind FROM measurements ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("2026-01-01T00:00:00.000000Z", "fermenter_temp", 37.5, None),
        ("2026-01-01T00:00:01.000000Z", "fermenter_temp", 90.0, "spike"),
        ("2026-01-01T00:00:02.000000Z", "fermenter_ph", 7.0, None),
    ]
    assert conn.execute("SELECT id, kind FROM events").fetchall() == [("e1", "spike")]
    assert conn.execute("SELECT id, tag FROM alarms").fetchall() == [("a1", "fermenter_temp")]
    assert conn.execute("SELECT count(*) FROM anomalies").fetchone()[0] == 1
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "idx_measurements_tag_anomalies" in indexes  # gained what it lacked
    conn.close()


def test_migration_is_idempotent(config: Config, db_path: Path) -> None:
    for _ in range(2):
        store = Store(db_path, config)
        store.open()
        store.close()
    conn = sqlite3.connect(db_path)
    assert user_version(conn) == SCHEMA_VERSION
    conn.close()


def test_a_file_from_a_newer_release_is_refused(config: Config, db_path: Path) -> None:
    Store(db_path, config).open()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer"):
        Store(db_path, config).open()


def test_readers_leave_the_file_byte_identical(config: Config, tmp_path: Path) -> None:
    """Every read on an old rollback-journal file: no WAL switch, no table, no tag upsert."""
    path = old_release_file(tmp_path / "old.db")
    before = digest(path)
    reader = Reader(path)
    reader.latest("fermenter_temp", 10)
    reader.anomalies(limit=5)
    reader.tag_stats(list(config.tag_names))
    reader.tag_rows()
    reader.recent_readings("fermenter_temp", 100)
    reader.history("fermenter_temp", "2026", "2027")
    with pytest.raises(sqlite3.OperationalError):
        reader.connection().execute("CREATE TABLE x (y)")
    reader.close()
    assert digest(path) == before
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert user_version(conn) == 0
    conn.close()


def test_stats_command_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    path = old_release_file(tmp_path / "old.db")
    before = digest(path)
    done = subprocess.run(
        [sys.executable, "-m", "sensor_tui", "stats", "--db", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    counts = {row["tag"]: row["count"] for row in report["tags"]}
    assert counts == {"fermenter_temp": 2, "fermenter_ph": 1, "agitator_rpm": 0}
    assert digest(path) == before


def test_reader_of_a_missing_file_says_so(tmp_path: Path) -> None:
    reader = Reader(tmp_path / "absent.db")
    with pytest.raises(StoreUnavailable, match="no database"):
        reader.latest()
    assert not (tmp_path / "absent.db").exists()


def test_http_gets_leave_the_database_byte_identical(tmp_path: Path) -> None:
    """Every GET route reads through a read-only connection: database and WAL are unchanged."""
    import http.client

    from sensor_tui.http import start_server
    from sensor_tui.model.tags import load_config
    from sensor_tui.pipeline import Pipeline

    db = tmp_path / "sensor_data.db"
    pipeline = Pipeline(load_config(None), db)
    pipeline.start()
    pipeline.submit(
        [{"tag": "fermenter_ph", "value": 7.0, "timestamp": "2026-01-01T00:00:00Z"}], "http"
    ).result(10)
    pipeline.flush()
    server = start_server(pipeline, "127.0.0.1:0")
    wal = Path(f"{db}-wal")
    try:
        before = (digest(db), digest(wal))
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for path in (
            "/data?tag=fermenter_ph",
            "/data",
            "/anomalies",
            "/tags",
            "/stats",
            "/health",
            "/metrics",
        ):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, path
        conn.close()
        assert (digest(db), digest(wal)) == before
    finally:
        server.stop()
        pipeline.stop()
