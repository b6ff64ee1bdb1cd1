"""Every SQL statement of the alarm life cycle: writes inside the writer's
transaction, reads for the panel, HTTP, the CLI and the health report.

Writes take the open transaction's connection and never commit: the caller (`Store`) does, so an
episode's row, its new state and the journal line of that transition land in one commit with the
readings that caused them. The decisions (which state follows, which priority, which fault is
behind an alarm, that imported history needs no acknowledgement) are `alarming.decisions`';
this module fetches what they need, and writes what they return.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sensor_tui.alarming import decisions, states
from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.model.alarm_record import AlarmRecord, record_from

ALARM_FIELDS = (
    'id, tag, kind, start, "end", peak_score, readings, active, state, priority, acked_at, '
    "acked_by, shelved_until, shelved_from_state, last_value, peak_value, deviation, source, "
    "origin, updated_at, contributions"
)
ALARM_NAMES = tuple(name.strip().strip('"') for name in ALARM_FIELDS.split(","))

UPSERT_EPISODE_SQL = (
    'INSERT INTO alarms (id, tag, kind, start, "end", peak_score, readings, active, state, '
    "priority, last_value, peak_value, deviation, source, origin, shelved_from_state, "
    "updated_at, contributions) VALUES (:id, :tag, :kind, :start, :end, :peak_score, :readings, "
    ":active, :state, :priority, :last_value, :peak_value, :deviation, :source, :origin, "
    ":shelved_from_state, :updated_at, :contributions) "
    "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
    '"end" = excluded."end", peak_score = excluded.peak_score, readings = excluded.readings, '
    "active = excluded.active, state = excluded.state, priority = excluded.priority, "
    "last_value = excluded.last_value, peak_value = coalesce(excluded.peak_value, peak_value), "
    "deviation = max(excluded.deviation, coalesce(deviation, 0)), "
    "source = coalesce(excluded.source, source), origin = excluded.origin, "
    "shelved_from_state = excluded.shelved_from_state, updated_at = excluded.updated_at, "
    "contributions = coalesce(excluded.contributions, contributions)"
)

JOURNAL_SQL = (
    "INSERT INTO alarm_events (alarm_id, time, from_state, to_state, actor, via, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)

EVENTS_NEAR_SQL = (
    # Fault events that may lie behind a write's alarms: one query per write, not per alarm
    # (an import writes thousands of alarms).
    "SELECT tag, start, \"end\", source FROM events WHERE start != '' AND start >= ? "
    "AND start <= ? AND kind != 'outage' AND tag IS NOT NULL"
)


def _fetch(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, AlarmRecord]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cursor = conn.execute(f"SELECT {ALARM_FIELDS} FROM alarms WHERE id IN ({marks})", list(ids))
    return {row[0]: _record(row) for row in cursor.fetchall()}


def _record(row: Sequence[Any]) -> AlarmRecord:
    """A stored row as the record (ALARM_NAMES are the record's keys, in column order)."""
    return record_from(ALARM_NAMES, row)


def _events_near(conn: sqlite3.Connection, rows: Sequence[dict[str, Any]]) -> decisions.Nearby:
    """The fault events that may lie behind these alarms (`decisions.origin_window`)."""
    if not rows:
        return {}
    low, high = decisions.origin_window(rows)
    return decisions.nearby(
        conn.execute(EVENTS_NEAR_SQL + " ORDER BY start", (low, high)).fetchall()
    )


def write_episodes(
    conn: sqlite3.Connection, rows: Sequence[dict[str, Any]], now: str
) -> list[AlarmChange]:
    """Upsert the tracker's changed alarms as `alarming.decisions` plans them (their life
    cycle, priority and origin), and journal each transition."""
    before = _fetch(conn, [row["id"] for row in rows])
    plan = decisions.plan_episodes(rows, before, _events_near(conn, rows), now, ALARM_NAMES)
    conn.executemany(UPSERT_EPISODE_SQL, plan.rows)
    conn.executemany(JOURNAL_SQL, plan.journal)
    return plan.changes


# -- operator commands ------------------------------------------------------------------------


def apply_command(
    conn: sqlite3.Connection,
    action: str,
    ids: Sequence[str],
    now: str,
    actor: str,
    via: str,
    until: str | None = None,
    strict: bool = True,
) -> list[AlarmChange]:
    """Acknowledge, shelve or unshelve alarms; `strict` raises for an id that does not apply
    (one alarm asked for by id), otherwise such ids are skipped (acknowledge all visible)."""
    rows = _fetch(conn, ids)
    changes = []
    for alarm_id in ids:
        row = rows.get(alarm_id)
        if row is None:
            if strict:
                raise states.UnknownAlarm(f"no alarm {alarm_id!r}")
            continue
        try:
            change = _command(conn, row, action, now, actor, via, until)
        except states.AlarmCommandError:
            if strict:
                raise
            continue
        changes.append(change)
    return changes


def _command(
    conn: sqlite3.Connection,
    row: AlarmRecord,
    action: str,
    now: str,
    actor: str,
    via: str,
    until: str | None,
) -> AlarmChange:
    change, line = decisions.command_row(row, action, now, actor, via, until)
    after = change.row
    conn.execute(
        "UPDATE alarms SET state = ?, shelved_from_state = ?, shelved_until = ?, acked_at = ?, "
        "acked_by = ?, updated_at = ? WHERE id = ?",
        (
            after["state"],
            after["shelved_from_state"],
            after["shelved_until"],
            after["acked_at"],
            after["acked_by"],
            now,
            row["id"],
        ),
    )
    conn.execute(JOURNAL_SQL, line)
    return change


def due_shelves(conn: sqlite3.Connection, now: str) -> list[str]:
    """Ids of shelved alarms whose time is up."""
    cursor = conn.execute(
        "SELECT id FROM alarms WHERE state = 'shelved' AND shelved_until <= ?", (now,)
    )
    return [row[0] for row in cursor.fetchall()]
