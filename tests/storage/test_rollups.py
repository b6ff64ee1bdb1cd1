"""Rollups: per-minute and per-hour min/max/mean/anomalies kept by the writer in the
same transaction, never double counted, built for an old file by schema step 4; the CSV export."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sensor_tui.model.readings import Reading
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline
from sensor_tui.pipeline.deadletter import DeadLetter
from sensor_tui.storage import Reader, Store, user_version
from sensor_tui.storage.export import export_csv
from sensor_tui.storage.rollups import HOUR, MINUTE, resolution_for
from sensor_tui.storage.schema import MIGRATIONS
from tests.conftest import FAST_RETRY, fill_database

START = datetime(2014, 2, 14, 13, 0, tzinfo=UTC)
FROM_DATA = (
    "SELECT tag, substr(timestamp, 1, {n}) AS b, min(value), max(value), round(sum(value), 6),"
    " count(*), sum(is_anomaly) FROM measurements GROUP BY tag, b ORDER BY tag, b"
)
FROM_ROLLUP = (
    "SELECT tag, bucket, min, max, round(sum, 6), count, anomalies FROM {table}"
    " ORDER BY tag, bucket"
)


def rollups_match_data(db: Path) -> None:
    """Every bucket of both tables equals an aggregate of the stored readings."""
    with sqlite3.connect(db) as conn:
        for n, table in ((16, "rollup_minute"), (13, "rollup_hour")):
            expected = conn.execute(FROM_DATA.format(n=n)).fetchall()
            assert conn.execute(FROM_ROLLUP.format(table=table)).fetchall() == expected
            assert expected


def reading(second: int, value: float, tag: str = "agitator_rpm", anomaly: bool = False):
    moment = (START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    return Reading(tag, moment, value, "test", is_anomaly=anomaly)


def test_rollups_kept_by_every_write_and_never_double_counted(
    config: Config, db_path: Path
) -> None:
    store = Store(db_path, config)
    first = [reading(s, 400.0 + s, anomaly=s == 70) for s in range(0, 150, 10)]
    assert store.write(first) == 15
    assert store.write([*first[5:], reading(3700, 1.0)]) == 1  # duplicates ignored, one new
    store.close()
    rollups_match_data(db_path)
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT min, max, sum / count, count, anomalies FROM rollup_minute"
            " WHERE tag = 'agitator_rpm' AND bucket = '2014-02-14T13:01'"
        ).fetchone()
    assert row == (460.0, 510.0, 485.0, 6, 1)


def test_dead_letter_replay_updates_rollups_once(
    config: Config, db_path: Path, tmp_path: Path
) -> None:
    letters = DeadLetter(tmp_path / "dl.jsonl")
    letters.append([reading(s, 10.0, "fermenter_ph") for s in range(120)], "test")
    pipeline = Pipeline(config, db_path, tmp_path / "dl.jsonl", retry=FAST_RETRY)
    pipeline.replay_dead_letter()
    letters.append([reading(s, 10.0, "fermenter_ph") for s in range(60, 180)], "again")
    pipeline.replay_dead_letter()  # 60 already stored, 60 new
    rollups_match_data(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT sum(count) FROM rollup_hour").fetchone()[0] == 180


def test_schema_step_4_builds_rollups_for_an_old_file(config: Config, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)  # a file at version 1: no rollup tables
    from sqlite_utils import Database

    old = Database(conn)
    MIGRATIONS[1](old)
    conn.execute("PRAGMA user_version = 1")
    rows = [reading(s, float(s % 97), anomaly=s % 50 == 0).as_row() for s in range(0, 7300, 3)]
    conn.executemany(
        "INSERT INTO measurements (timestamp, tag, value, is_anomaly, score, kind, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.close()
    store = Store(db_path, config)
    store.open()
    assert user_version(store.db.conn) >= 4
    store.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM measurements").fetchone()[0] == len(rows)
    rollups_match_data(db_path)


def test_reader_rollups_and_true_anomaly_count(config: Config, db_path: Path) -> None:
    fill_database(db_path, config, START, 3 * 3600, faults_per_hour=12)
    reader = Reader(db_path)
    since, until = START.timestamp(), START.timestamp() + 3 * 3600
    starts, lows, highs, means, flagged = reader.rollups("agitator_rpm", HOUR, since, until - 1)
    assert list(starts) == [since, since + 3600, since + 7200]
    assert all(lo <= m <= hi for lo, m, hi in zip(lows, means, highs, strict=True))
    minutes = reader.rollups("agitator_rpm", MINUTE, since, until - 1)
    assert len(minutes[0]) == 180
    counted = reader.anomaly_count(
        "agitator_rpm", "2014-02-14T13:00:00.000000Z", "2014-02-14T16:00:00.000000Z"
    )
    assert counted == sum(flagged) == sum(minutes[4]) > 0
    reader.close()


def test_resolution_follows_the_window() -> None:
    assert resolution_for(300) == 0 and resolution_for(3600) == 0
    assert resolution_for(6 * 3600) == MINUTE and resolution_for(7 * 86400) == MINUTE
    assert resolution_for(30 * 86400) == HOUR


def test_export_streams_the_span_and_tags(config: Config, db_path: Path) -> None:
    fill_database(db_path, config, START, 600)
    out = io.StringIO()
    since = START.timestamp() + 60
    count = export_csv(db_path, out, ["fermenter_ph"], since, since + 120)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:3] == ["timestamp", "tag", "value"]
    assert count == len(rows) - 1 == 120
    assert {r[1] for r in rows[1:]} == {"fermenter_ph"}
    assert rows[1][0] == "2014-02-14T13:01:00.000000Z"


def test_export_cli(config: Config, db_path: Path, tmp_path: Path) -> None:
    fill_database(db_path, config, START, 300)
    target = tmp_path / "out.csv"
    done = subprocess.run(
        [
            sys.executable, "-m", "sensor_tui", "export", "--db", str(db_path),
            "--since", "2014-02-14 13:02", "--until", "2014-02-14T13:03:00Z",
            "--tag", "agitator_rpm", "--tag", "fermenter_temp", "--output", str(target),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = target.read_text().splitlines()
    assert len(lines) == 1 + 2 * 60 and "Exported 120 readings" in done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "sensor_tui", "export", "--db", str(db_path), "--since", "soon"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "not a date or time" in bad.stderr
