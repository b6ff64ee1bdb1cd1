"""SQLite storage through sqlite-utils: schema, the batched write, and the queries edges make.

Each thread opens its own `Store` (SQLite connections are not shared across threads). sqlite-utils
creates and describes the schema and runs the queries. The one hot statement, the batched insert,
does not go through sqlite-utils' `insert_all` (which builds a dict and re-plans SQL per chunk, at a
cost larger than the insert itself): it sends the whole group as one JSON array and lets SQLite
unpack it with `json_each`. That is as fast as `executemany` and, more to the point, it is a single
`sqlite3_step`, during which Python releases the GIL: the importer parses and validates the next
chunk while SQLite inserts this one, which `executemany` (binding each row under the GIL) prevents.
`INSERT OR IGNORE` against UNIQUE (tag, timestamp) is what makes every replay idempotent.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from sensor_tui.model.readings import Reading, now_ts
from sensor_tui.model.tags import Config
from sensor_tui.storage import alarms as alarm_sql
from sensor_tui.storage import units as unit_sql
from sensor_tui.storage.connection import OutageSwitch, StoreUnavailable, connect, create_schema
from sensor_tui.storage.open_events import end_open_events
from sensor_tui.storage.rollups import add_new_rows
from sensor_tui.storage.units import UnitRows

__all__ = ["OutageSwitch", "Store", "StoreUnavailable", "connect", "create_schema"]

INSERT_JSON_SQL = (
    "INSERT OR IGNORE INTO measurements "
    "(timestamp, tag, value, is_anomaly, score, kind, source) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), "
    "json_extract(value, '$[5]'), json_extract(value, '$[6]') FROM json_each(?)"
)
"""The group insert: one JSON array of rows in `Reading.as_row` order."""

LAST_ID_SQL = "SELECT max(id) FROM measurements"
"""Rows inserted after this id are the ones this transaction stored (ids only grow)."""


INSERT_SQL = (
    "INSERT OR IGNORE INTO measurements "
    "(timestamp, tag, value, is_anomaly, score, kind, source) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


class Store:
    """One thread's connection to the database, with the writes and reads the monitor needs.

    A write first checks that the file at `path` is still the one it opened: when an operator
    deletes the database while the monitor runs (the seed's own failure exercise), writing on to
    the unlinked file would lose everything, so the Store reopens and recreates it instead.
    """

    def __init__(
        self,
        path: str | Path,
        config: Config,
        outage: OutageSwitch | None = None,
        busy_ms: int = 1000,
    ) -> None:
        self.path = Path(path)
        self.config = config
        self.outage = outage or OutageSwitch()
        self.busy_ms = busy_ms
        self.db: Database | None = None
        self._identity: tuple[int, int] | None = None
        self.alarm_changes: list[alarm_sql.AlarmChange] = []
        """Alarm rows changed by committed writes, until the pipeline takes them."""

    def take_alarm_changes(self) -> list[alarm_sql.AlarmChange]:
        """Alarm changes committed since the last call (for notifications and the UI)."""
        changes, self.alarm_changes = self.alarm_changes, []
        return changes

    def open(self) -> Database:
        """Open (or reopen) the connection and make sure the schema exists."""
        self.close()
        try:
            db = connect(self.path, self.busy_ms)
            create_schema(db, self.config)
            stat = os.stat(self.path)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open database {self.path}: {exc}") from exc
        self.db, self._identity = db, (stat.st_dev, stat.st_ino)
        return db

    def close(self) -> None:
        """Close the connection if open."""
        if self.db is not None:
            self.db.close()
            self.db = None

    def _same_file(self) -> bool:
        """True while `path` is still the file this connection opened."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return False
        return (stat.st_dev, stat.st_ino) == self._identity

    def _writable_db(self) -> Database:
        if self.outage.on:
            raise StoreUnavailable("database outage (simulated by the operator)")
        if self.db is None or not self._same_file():
            return self.open()
        return self.db

    def write_rows(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert rows in one transaction; returns how many were new (duplicates are ignored)."""
        return self.write_payload(json.dumps(list(rows), ensure_ascii=False))

    def write_payload(
        self,
        payload: str,
        alarms: Sequence[dict[str, Any]] = (),
        units: UnitRows | None = None,
    ) -> int:
        """Insert a JSON array of rows (`Reading.as_row` order), add the new ones to the rollups
        (`storage.rollups`), upsert alarms and store the units' statistics and references, in
        one transaction (one fsync for all).

        Returns how many rows were new; a (tag, timestamp) already stored is ignored.
        """
        db = self._writable_db()
        conn = db.conn
        changes: list[alarm_sql.AlarmChange] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            stored = 0
            if payload != "[]":
                last = conn.execute(LAST_ID_SQL).fetchone()[0] or 0
                stored = conn.execute(INSERT_JSON_SQL, (payload,)).rowcount
                if stored > 0:
                    add_new_rows(conn, last)  # the same transaction: rollups never lag
            if units is not None:
                unit_sql.write_scores(conn, units.scores)
                unit_sql.write_references(conn, units.references)
                alarms = [*alarms, *units.alarms]
            if alarms:
                changes = alarm_sql.write_episodes(conn, alarms, now_ts())
            conn.commit()
        except (sqlite3.Error, OSError) as exc:
            self._rollback(conn)
            raise StoreUnavailable(str(exc)) from exc
        except BaseException:
            # Anything else (a bug in an alarm step, a bad row): never leave BEGIN IMMEDIATE
            # open, or every later write fails with "cannot start a transaction within a
            # transaction" and the monitor stops storing. The caller decides what to keep.
            self._rollback(conn)
            raise
        if not self._same_file():
            # Deleted or replaced between the check and the commit: the rows went to an
            # unlinked file. Say so, and the retry writes them again into the new file.
            self.close()
            raise StoreUnavailable(f"database file {self.path} was replaced during the write")
        self.alarm_changes.extend(changes)
        return max(stored, 0)

    def write(self, readings: Iterable[Reading]) -> int:
        """Insert readings in one transaction; returns how many were new."""
        return self.write_rows([reading.as_row() for reading in readings])

    def upsert_event(self, row: dict[str, Any]) -> None:
        """Record or update an event (fault or outage)."""
        db = self._writable_db()
        try:
            db.table("events").upsert(row, pk="id")
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    def end_open_events(self) -> int:
        """End the events a previous run left open (`storage.open_events`); returns how many."""
        db = self._writable_db()
        try:
            with db.conn:
                return end_open_events(db.conn)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    def upsert_alarms(self, rows: Sequence[dict[str, Any]], units: UnitRows | None = None) -> None:
        """Record or update alarms (see `sensor_tui.detection.alarms`) in one transaction."""
        self.write_payload("[]", rows, units)

    def save_unit_reference(self, reference: unit_sql.Reference) -> None:
        """Store one unit's reference now (the `baseline` command, a refit in the monitor)."""
        self.write_payload("[]", (), UnitRows([], [reference], []))

    def unit_readings(
        self, tags: Sequence[str], since: str | None, until: str | None
    ) -> list[tuple[str, str, float]]:
        """Stored readings of a unit's tags in [since, until), time order (to fit on)."""
        try:
            conn = (self.db or self.open()).conn
            return list(unit_sql.readings_between(conn, tags, since, until))
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    def unit_references(self) -> dict[str, unit_sql.Reference]:
        """Every stored unit reference."""
        try:
            return unit_sql.load_references((self.db or self.open()).conn)
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    def alarm_command(
        self,
        action: str,
        ids: Sequence[str],
        actor: str,
        via: str,
        until: str | None = None,
        strict: bool = True,
    ) -> list[alarm_sql.AlarmChange]:
        """Apply an operator's ack / shelve / unshelve in one transaction (see
        `storage.alarms.apply_command`); AlarmCommandError and UnknownAlarm pass through."""
        return self._alarm_transaction(
            lambda conn, now: alarm_sql.apply_command(
                conn, action, ids, now, actor, via, until, strict
            )
        )

    def expire_shelves(self) -> list[alarm_sql.AlarmChange]:
        """Unshelve every alarm whose shelving time is up (back to where it was).

        Looks first without a transaction: the writer calls this every second, and an idle
        check must never wait on a lock or count as a failed write.
        """
        if self.db is None or self.outage.on:
            return []
        try:
            if not alarm_sql.due_shelves(self.db.conn, now_ts()):
                return []
        except sqlite3.Error:
            return []

        def expire(conn: sqlite3.Connection, now: str) -> list[alarm_sql.AlarmChange]:
            due = alarm_sql.due_shelves(conn, now)
            return alarm_sql.apply_command(
                conn, "unshelve", due, now, "shelf timer", "pipeline", strict=False
            )

        return self._alarm_transaction(expire)

    def _alarm_transaction(
        self, work: Callable[[sqlite3.Connection, str], list[alarm_sql.AlarmChange]]
    ) -> list[alarm_sql.AlarmChange]:
        conn = self._writable_db().conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            changes = work(conn, now_ts())
            conn.commit()
        except (sqlite3.Error, OSError) as exc:
            self._rollback(conn)
            raise StoreUnavailable(str(exc)) from exc
        except BaseException:
            self._rollback(conn)
            raise
        self.alarm_changes.extend(changes)
        return changes

    def _rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            try:
                conn.rollback()
            except sqlite3.Error:
                self.close()
