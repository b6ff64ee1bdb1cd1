"""Every SQL statement of the alarm life cycle: writes inside the writer's
transaction, reads for the panel, HTTP, the CLI and the health report.

Writes take the open transaction's connection and never commit: the caller (`Store`) does, so an
episode's row, its new state and the journal line of that transition land in one commit with the
readings that caused them. The decisions (which state follows, which priority) are
`sensor_tui.alarming`'s; this module only reads and writes rows.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sensor_tui.alarming import states
from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.alarming.priority import priority
from sensor_tui.model.readings import format_ts, parse_ts

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

ORIGIN_BEFORE = timedelta(hours=1)
"""How far before an alarm a fault may have started (the longest fault lasts minutes)."""
ORIGIN_TOLERANCE = timedelta(seconds=60)
"""An alarm may start up to the hold-off after its fault's end (a detector lags)."""


def _fetch(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cursor = conn.execute(f"SELECT {ALARM_FIELDS} FROM alarms WHERE id IN ({marks})", list(ids))
    return {row[0]: dict(zip(ALARM_NAMES, row, strict=True)) for row in cursor.fetchall()}


Nearby = dict[str, tuple[list[str], list[tuple[str | None, str]]]]
"""Events by tag, by start: (starts, [(end or None, source)]), for binary search."""


def _events_near(conn: sqlite3.Connection, rows: Sequence[dict[str, Any]]) -> Nearby:
    if not rows:
        return {}
    low = format_ts(parse_ts(min(row["start"] for row in rows)) - ORIGIN_BEFORE)
    high = max(row["end"] for row in rows)
    near: Nearby = {}
    rows_found = conn.execute(EVENTS_NEAR_SQL + " ORDER BY start", (low, high)).fetchall()
    for tag, start, end, source in rows_found:
        starts, rest = near.setdefault(tag, ([], []))
        starts.append(start)
        rest.append((end, source))
    return near


def _origin(near: Nearby, row: dict[str, Any]) -> str | None:
    """The fault behind an alarm: an event of the tag (of a unit's tags) overlapping it (with
    tolerance); an injected one wins over a random simulator spike."""
    start = parse_ts(row["start"])
    earliest, ended_after = format_ts(start - ORIGIN_BEFORE), format_ts(start - ORIGIN_TOLERANCE)
    found = None
    for tag in row.get("origin_tags") or (row["tag"],):  # a unit alarm: any of its tags
        starts, rest = near.get(tag, ([], []))
        lo, hi = bisect.bisect_left(starts, earliest), bisect.bisect_right(starts, row["end"])
        for ev_end, source in rest[lo:hi]:
            if ev_end is None or ev_end >= ended_after:
                if source != "random":
                    return "injected"
                found = "random"
    return found


def _origin_now(near: Nearby, episode: dict[str, Any], known: str | None) -> str | None:
    """An injected fault, once found, stays the origin; otherwise look again, since a fault
    injected during the alarm (a random spike opened it) is what the alarm is about."""
    if known == "injected":
        return known
    return _origin(near, episode) or known


def _seconds(row: dict[str, Any]) -> float:
    return (parse_ts(row["end"]) - parse_ts(row["start"])).total_seconds()


def write_episodes(
    conn: sqlite3.Connection, rows: Sequence[dict[str, Any]], now: str
) -> list[AlarmChange]:
    """Upsert the tracker's changed alarms with their life cycle, journal each transition."""
    old = _fetch(conn, [row["id"] for row in rows])
    near = _events_near(conn, rows)
    changes, journal, values = [], [], []
    for episode in rows:
        before = old.get(episode["id"])
        row = _next_row(near, episode, before, now)
        values.append(row)
        from_state = before["state"] if before else None
        moved = before is None or (row["state"], row["shelved_from_state"]) != (
            before["state"],
            before["shelved_from_state"],
        )
        if moved:
            detail = _episode_detail(episode, before)
            journal.append(
                (row["id"], now, from_state, row["state"], "detector", "pipeline", detail)
            )
        changes.append(AlarmChange(row, from_state, row["state"]))
    conn.executemany(UPSERT_EPISODE_SQL, values)
    conn.executemany(JOURNAL_SQL, journal)
    return changes


def _episode_detail(episode: dict[str, Any], before: dict[str, Any] | None) -> str:
    if before is None:
        return "opened" if episode["active"] else "opened and ended"
    shelved = " while shelved" if before["state"] == states.SHELVED else ""
    return ("active again" if episode["active"] else "ended") + shelved


def _next_row(
    near: Nearby, episode: dict[str, Any], before: dict[str, Any] | None, now: str
) -> dict[str, Any]:
    row = {name: None for name in ALARM_NAMES} | (before or {}) | episode
    active = bool(episode["active"])
    if before is None:
        life = states.opened()
        if not active:
            life = states.episode(life, False)
    else:
        current = states.Lifecycle(before["state"], before["shelved_from_state"])
        life = states.episode(current, active)
    if not active and episode.get("source") == "import" and life.state == states.RTN_UNACK:
        life = states.Lifecycle(states.NORMAL)  # imported history asks nobody to acknowledge it
    deviation = max(episode.get("deviation") or 0.0, (before or {}).get("deviation") or 0.0)
    level = priority(episode["kind"], deviation, _seconds(episode))
    row.update(
        state=life.state,
        shelved_from_state=life.shelved_from,
        priority=min(level, (before or {}).get("priority") or level),
        deviation=deviation,
        origin=_origin_now(near, episode, (before or {}).get("origin")),
        updated_at=now,
    )
    if row["peak_value"] is None and before is not None:
        row["peak_value"] = before["peak_value"]
    return row


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
    row: dict[str, Any],
    action: str,
    now: str,
    actor: str,
    via: str,
    until: str | None,
) -> AlarmChange:
    current = states.Lifecycle(row["state"], row["shelved_from_state"])
    step = {"ack": states.ack, "shelve": states.shelve, "unshelve": states.unshelve}[action]
    life = step(current)
    after = dict(row, state=life.state, shelved_from_state=life.shelved_from, updated_at=now)
    if action == "ack":
        after.update(acked_at=now, acked_by=actor)
    after["shelved_until"] = until if life.state == states.SHELVED else None
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
    detail = f"until {until}" if action == "shelve" else action
    conn.execute(JOURNAL_SQL, (row["id"], now, row["state"], life.state, actor, via, detail))
    return AlarmChange(after, row["state"], life.state, actor, via)


def due_shelves(conn: sqlite3.Connection, now: str) -> list[str]:
    """Ids of shelved alarms whose time is up."""
    cursor = conn.execute(
        "SELECT id FROM alarms WHERE state = 'shelved' AND shelved_until <= ?", (now,)
    )
    return [row[0] for row in cursor.fetchall()]
