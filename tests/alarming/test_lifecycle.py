"""Issue 11: the alarm life cycle in SQLite, through the one writer (real pipeline, real files)."""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sensor_tui.alarming import states
from sensor_tui.alarming.commands import AlarmCommand, shelve_until
from sensor_tui.alarming.states import AlarmCommandError, UnknownAlarm
from sensor_tui.model.events import Event
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline
from sensor_tui.storage import SCHEMA_VERSION, connect, migrate, user_version
from sensor_tui.storage.schema import MIGRATIONS
from tests.alarm_helpers import (
    alarms_in,
    command,
    fault_stream,
    journal_of,
    quiet,
    store_stream,
)
from tests.support.waiting import wait_until


def _pipeline(config: Config, db: Path) -> Pipeline:
    pipe = Pipeline(quiet(config), db)
    pipe.start()
    return pipe


def test_a_300_reading_step_is_one_alarm_row(config: Config, db_path: Path) -> None:
    pipe = _pipeline(config, db_path)
    try:
        store_stream(pipe, *fault_stream(config, "step", duration=300))
    finally:
        pipe.stop()
    (alarm,) = alarms_in(db_path)
    assert alarm["tag"] == "fermenter_temp" and alarm["readings"] >= 250
    assert alarm["origin"] == "injected" and alarm["source"] == "sim"
    assert alarm["state"] == states.RTN_UNACK  # the step ended, nobody acknowledged it
    assert alarm["peak_value"] is not None and alarm["priority"] <= 2
    steps = [(j["from_state"], j["to_state"]) for j in journal_of(db_path, alarm["id"])]
    assert steps == [(None, "unack"), ("unack", "rtn_unack")]


def test_ack_shelve_unshelve_survive_a_restart(config: Config, db_path: Path) -> None:
    readings, events = fault_stream(config, "stuck", duration=150, after=0)
    pipe = _pipeline(config, db_path)
    try:
        store_stream(pipe, readings, events)
        (alarm,) = alarms_in(db_path)
        assert alarm["state"] == states.UNACK and alarm["active"] == 1
        (change,) = command(pipe, "ack", alarm["id"], actor="anna")
        assert (change.from_state, change.to_state) == ("unack", "acked")
        command(pipe, "shelve", alarm["id"], until=shelve_until(3600))
    finally:
        pipe.stop()  # closes the open episode: while shelved, acked+ended returns to normal
    (alarm,) = alarms_in(db_path)
    assert alarm["state"] == states.SHELVED and alarm["shelved_from_state"] == states.NORMAL
    assert alarm["acked_by"] == "anna" and alarm["shelved_until"]
    pipe = _pipeline(config, db_path)
    try:
        (alarm,) = alarms_in(db_path)
        assert alarm["state"] == states.SHELVED
        command(pipe, "unshelve", alarm["id"])
    finally:
        pipe.stop()
    (alarm,) = alarms_in(db_path)
    assert alarm["state"] == states.NORMAL and alarm["shelved_until"] is None
    moves = [(j["to_state"], j["actor"]) for j in journal_of(db_path, alarm["id"])]
    assert moves == [
        ("unack", "detector"),
        ("acked", "anna"),
        ("shelved", "operator"),
        ("shelved", "detector"),  # the episode ended while shelved: it will return as normal
        ("normal", "operator"),
    ]


def test_unknown_ids_and_commands_that_do_not_apply(config: Config, db_path: Path) -> None:
    pipe = _pipeline(config, db_path)
    try:
        store_stream(pipe, *fault_stream(config, "spike", duration=1, after=80))
        (alarm,) = alarms_in(db_path)
        with pytest.raises(UnknownAlarm):
            command(pipe, "ack", "nope@2026")
        with pytest.raises(AlarmCommandError):
            command(pipe, "unshelve", alarm["id"])
        command(pipe, "ack", alarm["id"])  # returned-to-normal + ack = normal
        with pytest.raises(AlarmCommandError):
            command(pipe, "ack", alarm["id"])
        assert command(pipe, "ack", alarm["id"], "nope", strict=False) == []
    finally:
        pipe.stop()
    assert alarms_in(db_path)[0]["state"] == states.NORMAL


def test_a_due_shelving_returns_the_alarm_by_itself(config: Config, db_path: Path) -> None:
    pipe = _pipeline(config, db_path)
    try:
        store_stream(pipe, *fault_stream(config, "spike", duration=1, after=80))
        (alarm,) = alarms_in(db_path)
        done: Future[list[object]] = pipe.alarm_command(
            # the shortest shelving (1 s), taken 0.7 s ago: due 0.3 s from now
            AlarmCommand(
                "shelve",
                (alarm["id"],),
                until=shelve_until(1, datetime.now(UTC) - timedelta(seconds=0.7)),
            )
        )
        done.result(10)
        wait_until(lambda: alarms_in(db_path)[0]["state"] == states.RTN_UNACK, 5)
    finally:
        pipe.stop()
    last = journal_of(db_path, alarm["id"])[-1]
    assert (last["from_state"], last["to_state"], last["actor"]) == (
        "shelved",
        "rtn_unack",
        "shelf timer",
    )


def test_transitions_follow_isa_18_2() -> None:
    life = states.opened()
    assert life.state == states.UNACK
    assert states.episode(life, False).state == states.RTN_UNACK
    assert states.episode(states.ack(life), False).state == states.NORMAL
    assert states.ack(states.Lifecycle(states.RTN_UNACK)).state == states.NORMAL
    shelved = states.shelve(life)
    assert states.episode(shelved, False) == states.Lifecycle(states.SHELVED, states.RTN_UNACK)
    assert states.unshelve(states.episode(shelved, False)).state == states.RTN_UNACK
    assert states.episode(states.Lifecycle(states.NORMAL), True).state == states.UNACK
    with pytest.raises(AlarmCommandError):
        states.shelve(states.Lifecycle(states.NORMAL))
    with pytest.raises(AlarmCommandError):
        AlarmCommand("shelve", ("x",))


def test_a_version_1_file_gains_the_life_cycle_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = connect(path)
    MIGRATIONS[1](db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO measurements (timestamp, tag, value, is_anomaly, source) "
        "VALUES ('2026-01-01T00:00:00.000000Z', 'fermenter_temp', 37.0, 1, 'sim')"
    )
    for alarm_id, active in (("a@1", 1), ("b@1", 0)):
        db.execute(
            'INSERT INTO alarms (id, tag, kind, start, "end", peak_score, readings, active) '
            "VALUES (?, 'fermenter_temp', 'step', '2026-01-01T00:00:00.000000Z', "
            "'2026-01-01T00:01:00.000000Z', 9.0, 60, ?)",
            (alarm_id, active),
        )
    db.conn.commit()
    db.close()
    db = connect(path)
    assert 3 in migrate(db)
    assert user_version(db.conn) == SCHEMA_VERSION
    rows = db.execute("SELECT id, state, readings, priority FROM alarms ORDER BY id").fetchall()
    assert rows == [("a@1", "unack", 60, 3), ("b@1", "normal", 60, 3)]
    assert db.execute("SELECT count(*) FROM measurements").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM alarm_events").fetchone() == (0,)
    db.close()
    with pytest.raises(sqlite3.OperationalError):  # readers see the file, not a half-migration
        sqlite3.connect(path).execute("SELECT nope FROM alarms")


def test_an_injected_fault_found_later_becomes_the_origin(config: Config, db_path: Path) -> None:
    """A random spike opened the alarm; the stuck sensor injected under it is what it is about."""
    readings, (fault,) = fault_stream(config, "stuck", duration=200, after=0)
    spike = Event("spike", start=fault.start, tag=fault.tag, end=fault.start, source="random")
    half = len(readings) - 100 * len(config.tags)
    pipe = _pipeline(config, db_path)
    try:
        store_stream(pipe, readings[:half], [spike])
        assert alarms_in(db_path)[0]["origin"] == "random"
        store_stream(pipe, readings[half:], [fault])
        assert alarms_in(db_path)[0]["origin"] == "injected"
    finally:
        pipe.stop()


def test_imported_history_closes_as_normal(config: Config, db_path: Path) -> None:
    readings, events = fault_stream(config, "step", duration=300)
    for reading in readings:
        reading.source = "import"
    pipe = _pipeline(config, db_path)
    try:
        store_stream(pipe, readings, events)
    finally:
        pipe.stop()
    (alarm,) = alarms_in(db_path)
    assert alarm["source"] == "import" and alarm["state"] == states.NORMAL
    assert [j["to_state"] for j in journal_of(db_path, alarm["id"])] == ["unack", "normal"]
