"""Read-only access: every query the UI, HTTP, the CLI and detector warm-up make.

A `Reader` opens the file with `mode=ro` and `PRAGMA query_only`, and never runs the schema step,
so a read cannot change the file (not the journal mode, not a table, not the tags): `stats` and
every GET leave it byte-identical. WAL lets it read while the one writer writes.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from sensor_tui.model.timestamps import is_canonical
from sensor_tui.storage.rollups import ROLLUP_SQL, bucket_text
from sensor_tui.storage.store import StoreUnavailable

log = logging.getLogger(__name__)


def open_read_only(path: str | Path, busy_ms: int = 1000) -> Database:
    """A connection that cannot write: `mode=ro` for the file, `query_only` for the session."""
    uri = Path(path).absolute().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=busy_ms / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"cannot open database {path} for reading: {exc}") from exc
    return Database(conn, execute_plugins=False)


class Reader:
    """One thread's read-only view of the database, reopened when the file was replaced
    (a reader left on a deleted file would show stale data forever)."""

    def __init__(self, path: str | Path, busy_ms: int = 1000) -> None:
        self.path = Path(path)
        self.busy_ms = busy_ms
        self.db: Database | None = None
        self._identity: tuple[int, int] | None = None
        self.malformed = 0
        """Rows skipped for a timestamp not in the stored form (written by an older release)."""

    def skip_malformed(self, count: int, what: str) -> None:
        """Count and log rows a read skipped: one bad old row must not stop whoever reads."""
        if count:
            self.malformed += count
            log.warning(
                "skipped %d %s of %s with a timestamp not in the stored form",
                count,
                what,
                self.path,
            )

    def close(self) -> None:
        """Close the connection if open."""
        if self.db is not None:
            self.db.close()
            self.db = None

    def _identity_now(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_dev, stat.st_ino

    def connection(self) -> Database:
        """The open connection, (re)opened when missing or when the file changed identity."""
        identity = self._identity_now()
        if self.db is None or identity != self._identity:
            self.close()
            if identity is None:
                raise StoreUnavailable(f"no database at {self.path}")
            self.db, self._identity = open_read_only(self.path, self.busy_ms), identity
        return self.db

    def _query(self, sql: str, params: list[Any] | tuple[Any, ...]) -> list[dict[str, Any]]:
        try:
            return list(self.connection().query(sql, params))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read {self.path}: {exc}") from exc

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any]) -> list[tuple[Any, ...]]:
        try:
            return self.connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read {self.path}: {exc}") from exc

    def has_table(self, name: str) -> bool:
        """True when the file holds this table (an empty or foreign file may not)."""
        rows = self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return bool(rows)

    def recent_readings(self, tag: str, limit: int) -> list[tuple[float, str]]:
        """The last `limit` (value, timestamp) of a tag, oldest first (to warm a detector
        that also learns the time of day)."""
        rows = self._rows(
            "SELECT value, timestamp FROM measurements WHERE tag = ? "
            "ORDER BY timestamp DESC LIMIT ?",
            (tag, limit),
        )
        good = [(row[0], row[1]) for row in reversed(rows) if is_canonical(row[1])]
        self.skip_malformed(len(rows) - len(good), "readings")
        return good

    def stored_keys(self, tags: list[str], first: str, last: str) -> set[tuple[str, str]]:
        """(tag, timestamp) of these tags stored with first <= timestamp <= last: an import's
        replay check in one indexed query per chunk (empty and quick for new data)."""
        marks = ",".join("?" * len(tags))
        rows = self._rows(
            f"SELECT tag, timestamp FROM measurements WHERE tag IN ({marks}) "
            "AND timestamp BETWEEN ? AND ?",
            [*tags, first, last],
        )
        return {(row[0], row[1]) for row in rows}

    def latest(
        self,
        tag: str | None = None,
        limit: int = 100,
        since: str | None = None,
        until: str | None = None,
    ) -> list[dict[str, Any]]:
        """The latest `limit` readings (of one tag or all), in time order; bounds are canonical."""
        where, params = _time_filter(tag, since, until)
        sql = (
            "SELECT timestamp, tag, value, is_anomaly, score, kind, source FROM measurements"
            f"{where} ORDER BY timestamp DESC LIMIT ?"
        )
        rows = self._query(sql, [*params, limit])
        rows.reverse()
        return rows

    def anomalies(
        self, tag: str | None = None, limit: int = 100, since: str | None = None
    ) -> list[dict[str, Any]]:
        """The latest `limit` anomalous readings, newest last."""
        where, params = _time_filter(tag, since, None)
        sql = (
            "SELECT timestamp, tag, value, score, kind, source FROM measurements"
            f"{where}{' AND' if where else ' WHERE'} is_anomaly = 1"
            " ORDER BY timestamp DESC LIMIT ?"
        )
        rows = self._query(sql, [*params, limit])
        rows.reverse()
        return rows

    def tag_rows(self) -> list[dict[str, Any]]:
        """The tags recorded in the file (so `stats` needs no --config)."""
        if not self.has_table("tags"):
            return []
        return self._query(
            "SELECT name, unit, normal_low, normal_high, valid_low, valid_high FROM tags", []
        )

    def tag_stats(self, tags: list[str]) -> list[dict[str, Any]]:
        """Per tag: count, first and last timestamp, anomalies."""
        out = []
        for tag in tags:
            row = self._rows(
                "SELECT count(*), min(timestamp), max(timestamp), "
                "(SELECT count(*) FROM measurements WHERE tag = ?1 AND is_anomaly = 1) "
                "FROM measurements WHERE tag = ?1",
                (tag,),
            )[0]
            out.append(
                {"tag": tag, "count": row[0], "first": row[1], "last": row[2], "anomalies": row[3]}
            )
        return out

    def history(
        self, tag: str, start: str, end: str
    ) -> tuple[array[float], array[float], array[int]]:
        """A tag's readings with start <= timestamp < end as typed arrays of (epoch, value, flag).

        The epoch conversion runs in SQLite and rows stream from the cursor, so a day of
        readings never exists as a list of Python tuples.
        """
        times, values, flags = array("d"), array("d"), array("b")
        malformed = 0
        for t, v, a in self._stream(HISTORY_SQL, (tag, start, end)):
            if t is None:  # SQLite reads no time in it: garbage of an older release
                malformed += 1
                continue
            times.append(round(t, 6))
            values.append(v)
            flags.append(a)
        self.skip_malformed(malformed, "readings")
        return times, values, flags

    def rollups(
        self, tag: str, width: int, since: float, until: float
    ) -> tuple[array[float], array[float], array[float], array[float], array[int]]:
        """A tag's buckets of `width` seconds overlapping [since, until] (epoch seconds) as
        typed arrays: bucket start, min, max, mean, anomalies (`storage.rollups`)."""
        starts, lows, highs, means = array("d"), array("d"), array("d"), array("d")
        anomalies = array("q")
        params = (tag, bucket_text(since, width), bucket_text(until, width))
        for start, low, high, total, count, flagged in self._stream(ROLLUP_SQL[width], params):
            starts.append(start)
            lows.append(low)
            highs.append(high)
            means.append(total / count)
            anomalies.append(flagged)
        return starts, lows, highs, means, anomalies

    def has_rollups(self) -> bool:
        """True when the file has the rollup tables (schema version 4 or later)."""
        return self.has_table("rollup_minute")

    def anomaly_count(self, tag: str, start: str, end: str) -> int:
        """Stored anomalies of a tag with start <= timestamp < end (a partial index counts them)."""
        rows = self._rows(
            "SELECT count(*) FROM measurements WHERE tag = ? AND is_anomaly = 1"
            " AND timestamp >= ? AND timestamp < ?",
            (tag, start, end),
        )
        return int(rows[0][0])

    def span(self) -> tuple[str | None, str | None]:
        """The first and last stored timestamps (both None for an empty file)."""
        row = self._rows("SELECT min(timestamp), max(timestamp) FROM measurements", ())[0]
        return row[0], row[1]

    def export(
        self, tags: list[str] | None, start: str | None, end: str | None
    ) -> Iterator[tuple[Any, ...]]:
        """Stored readings in time order, streamed from the cursor (an export of months never
        exists in memory): (timestamp, tag, value, is_anomaly, score, kind, source)."""
        clause, params = where(
            ("tag IN ({})", tags), ("timestamp >= ?", start), ("timestamp < ?", end)
        )
        sql = (
            "SELECT timestamp, tag, value, is_anomaly, score, kind, source FROM measurements"
            f"{clause} ORDER BY timestamp, tag"
        )
        return self._stream(sql, tuple(params))

    def _stream(self, sql: str, params: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        try:
            cursor = self.connection().execute(sql, params)
            while rows := cursor.fetchmany(4096):
                yield from rows
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read {self.path}: {exc}") from exc


HISTORY_SQL = (
    # Epoch seconds computed in SQLite, exact to the microsecond (julianday keeps milliseconds).
    "SELECT CAST(strftime('%s', timestamp) AS REAL) + CAST(substr(timestamp, 20, 7) AS REAL),"
    " value, is_anomaly FROM measurements"
    " WHERE tag = ? AND timestamp >= ? AND timestamp < ? ORDER BY timestamp"
)


def where(*terms: tuple[str, Any]) -> tuple[str, list[Any]]:
    """A WHERE clause of bound parameters (never concatenated values) from (condition, value)
    terms; a term whose value is None or empty is left out. A list or tuple value binds one
    parameter per item where its condition says `{}` (`tag IN ({})`)."""
    clauses: list[str] = []
    params: list[Any] = []
    for condition, value in terms:
        if value is None or (isinstance(value, list | tuple) and not value):
            continue
        if isinstance(value, list | tuple):
            clauses.append(condition.format(", ".join("?" * len(value))))
            params.extend(value)
        else:
            clauses.append(condition)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _time_filter(tag: str | None, since: str | None, until: str | None) -> tuple[str, list[Any]]:
    """Readings of one tag (or all) between two inclusive bounds."""
    return where(("tag = ?", tag), ("timestamp >= ?", since), ("timestamp <= ?", until))
