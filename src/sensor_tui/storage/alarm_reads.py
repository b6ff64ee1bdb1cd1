"""Read-only alarm queries: the panel, GET /alarms, `sensor-tui alarms`, the health report.

They take a `Reader` (read-only, never migrates) and use its connection with bound parameters
only. The report reads the `alarms` and `events` tables, never `measurements`: ten thousand
alarm rows answer in milliseconds whatever the number of readings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sensor_tui.model.alarm_record import AlarmRow, read_back, record_from
from sensor_tui.model.timestamps import is_canonical
from sensor_tui.storage.alarms import ALARM_FIELDS, ALARM_NAMES
from sensor_tui.storage.reader import Reader, where
from sensor_tui.storage.store import StoreUnavailable


def _rows(reader: Reader, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    try:
        return reader.connection().execute(sql, list(params)).fetchall()
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"cannot read {reader.path}: {exc}") from exc


def _fields(reader: Reader) -> str:
    """The alarm columns; a file older than unit health has no contributions (NULL for all)."""
    sql = "SELECT 1 FROM pragma_table_info('alarms') WHERE name = 'contributions'"
    rows = _rows(reader, sql, ())
    return ALARM_FIELDS if rows else ALARM_FIELDS.replace("contributions", "NULL")


def _alarm(row: Sequence[Any]) -> AlarmRow:
    """A row as the read-back record; a unit alarm's contributions decoded to {tag: share}."""
    return read_back(record_from(ALARM_NAMES, row))


def _well_formed(
    reader: Reader, rows: list[tuple[Any, ...]], start: int, what: str
) -> list[tuple[Any, ...]]:
    """Rows whose start and end (columns `start`, `start + 1`; end may be NULL) are in the
    stored form; the others, written by an older release, are counted and skipped."""
    good = [
        row
        for row in rows
        if is_canonical(row[start]) and (row[start + 1] is None or is_canonical(row[start + 1]))
    ]
    reader.skip_malformed(len(rows) - len(good), what)
    return good


def has_lifecycle(reader: Reader) -> bool:
    """True when the file has the alarm life cycle (schema version 3 or later)."""
    rows = _rows(reader, "SELECT 1 FROM sqlite_master WHERE name = 'alarm_events'", ())
    return bool(rows)


def list_alarms(
    reader: Reader,
    states: Sequence[str] | None = None,
    tag: str | None = None,
    limit: int = 200,
    since: str | None = None,
) -> list[AlarmRow]:
    """Alarms, newest start first, optionally only in some states, of one tag, since a time."""
    if not has_lifecycle(reader):
        return []
    clause, params = where(
        ("state IN ({})", list(states or ())), ("tag = ?", tag), ('"end" >= ?', since)
    )
    sql = f"SELECT {_fields(reader)} FROM alarms{clause} ORDER BY start DESC LIMIT ?"
    rows = _well_formed(reader, _rows(reader, sql, [*params, limit]), 3, "alarms")
    return [_alarm(row) for row in rows]


def get_alarm(reader: Reader, alarm_id: str) -> AlarmRow | None:
    """One alarm by id, or None."""
    if not has_lifecycle(reader):
        return None
    rows = _rows(reader, f"SELECT {_fields(reader)} FROM alarms WHERE id = ?", (alarm_id,))
    return _alarm(rows[0]) if rows else None


def journal(reader: Reader, alarm_id: str) -> list[dict[str, Any]]:
    """Every transition of one alarm, oldest first."""
    rows = _rows(
        reader,
        "SELECT time, from_state, to_state, actor, via, detail FROM alarm_events "
        "WHERE alarm_id = ? ORDER BY id",
        (alarm_id,),
    )
    names = ("time", "from_state", "to_state", "actor", "via", "detail")
    return [dict(zip(names, row, strict=True)) for row in rows]


def state_counts(reader: Reader) -> dict[str, int]:
    """Alarms per state that is not normal, and `active` (episode still open)."""
    if not has_lifecycle(reader):
        return {}
    rows = _rows(
        reader,
        "SELECT state, count(*), sum(active) FROM alarms WHERE state != 'normal' GROUP BY state",
        (),
    )
    counts = {state: n for state, n, _ in rows}
    active = _rows(reader, "SELECT count(*) FROM alarms WHERE active = 1", ())
    counts["active"] = active[0][0]
    return counts


REPORT_NAMES = ("id", "tag", "kind", "start", "end", "active", "state", "origin", "source")


def report_rows(reader: Reader, since: str | None = None) -> list[tuple[Any, ...]]:
    """(id, tag, kind, start, end, active, state, origin, source) of every alarm, by start."""
    if not has_lifecycle(reader):
        return []
    where, params = (" WHERE start >= ?", [since]) if since else ("", [])
    sql = (
        'SELECT id, tag, kind, start, "end", active, state, origin, source FROM alarms'
        f"{where} ORDER BY start"
    )
    return _well_formed(reader, _rows(reader, sql, params), 3, "alarms")


def fault_events(reader: Reader, since: str | None = None) -> list[tuple[Any, ...]]:
    """(id, tag, kind, start, end, source) of faults (not outages) that have started."""
    where = " AND start >= ?" if since else ""
    sql = (
        'SELECT id, tag, kind, start, "end", source FROM events '
        f"WHERE tag IS NOT NULL AND start != '' AND kind != 'outage'{where} ORDER BY start"
    )
    return _well_formed(reader, _rows(reader, sql, [since] if since else []), 3, "events")


def report_inputs(reader: Reader, since: str | None = None) -> tuple[list[Any], list[Any]]:
    """The alarm rows and the fault events that `alarming.report.build_report` judges."""
    return list(report_rows(reader, since)), list(fault_events(reader, since))
