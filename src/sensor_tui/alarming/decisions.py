"""What a write makes of an alarm row: the next state, the priority, the fault behind it, and
the journal line of each transition; the same for an operator's ack, shelve and unshelve.

Why here and not in storage: these are the alarm rules (ISA-18.2's life cycle, EEMUA 191's
priorities, "imported history asks nobody to acknowledge it"), and storage only stores what it
is given. The storage side fetches the rows as they were and the fault events near them, calls
these functions inside its transaction, and writes what they return, so a row, its new state
and its journal line still land in one commit.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sensor_tui.alarming import states
from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.alarming.priority import priority
from sensor_tui.model.alarm_record import AlarmRecord
from sensor_tui.model.stored_time import format_ts, parse_ts

ORIGIN_BEFORE = timedelta(hours=1)
"""How far before an alarm a fault may have started (the longest fault lasts minutes)."""
ORIGIN_TOLERANCE = timedelta(seconds=60)
"""An alarm may start up to the hold-off after its fault's end (a detector lags)."""

Row = dict[str, Any]
"""A tracker's episode update (`AlarmTracker`, `UnitAlarm.as_row`): some of the record's
columns, and for a unit alarm its `origin_tags`. Still a plain dict, not a TypedDict: which
columns it holds depends on the producer (a tag's tracker, the facts it gains in
`alarming.episodes`, a unit's tracker) and the pipeline's batches carry it untyped; `next_row`
is where it becomes an `AlarmRecord`."""
Nearby = dict[str, tuple[list[str], list[tuple[str | None, str]]]]
"""Fault events by tag, by start: (starts, [(end or None, source)]), for binary search."""
Journal = tuple[str, str, str | None, str, str, str, str]
"""One `alarm_events` line: (alarm_id, time, from_state, to_state, actor, via, detail)."""


@dataclass(frozen=True, slots=True)
class EpisodeWrite:
    """What to write for a batch of the tracker's alarms: the rows, the journal, the changes."""

    rows: list[AlarmRecord]
    journal: list[Journal]
    changes: list[AlarmChange]


def origin_window(episodes: Sequence[Row]) -> tuple[str, str]:
    """The span of fault event starts that may lie behind these alarms (one query per write)."""
    low = format_ts(parse_ts(min(row["start"] for row in episodes)) - ORIGIN_BEFORE)
    return low, max(row["end"] for row in episodes)


def nearby(events: Sequence[tuple[str, str, str | None, str]]) -> Nearby:
    """Index fault events `(tag, start, end, source)`, given in start order, by tag."""
    near: Nearby = {}
    for tag, start, end, source in events:
        starts, rest = near.setdefault(tag, ([], []))
        starts.append(start)
        rest.append((end, source))
    return near


def plan_episodes(
    episodes: Sequence[Row],
    before: dict[str, AlarmRecord],
    near: Nearby,
    now: str,
    names: Sequence[str],
) -> EpisodeWrite:
    """Each changed alarm's next row (every column in `names`), and a journal line for each
    one whose state moved. `before` holds the stored rows by id."""
    rows: list[AlarmRecord] = []
    journal: list[Journal] = []
    changes: list[AlarmChange] = []
    for episode in episodes:
        old = before.get(episode["id"])
        row = next_row(near, episode, old, now, names)
        rows.append(row)
        from_state = old["state"] if old else None
        moved = old is None or (row["state"], row["shelved_from_state"]) != (
            old["state"],
            old["shelved_from_state"],
        )
        if moved:
            detail = episode_detail(episode, old)
            journal.append(
                (row["id"], now, from_state, row["state"], "detector", "pipeline", detail)
            )
        changes.append(AlarmChange(row, from_state, row["state"]))
    return EpisodeWrite(rows, journal, changes)


def next_row(
    near: Nearby, episode: Row, before: AlarmRecord | None, now: str, names: Sequence[str]
) -> AlarmRecord:
    """The alarm's row after this episode update: its life cycle moved on, the priority never
    lowered, the deviation never shrunk, the origin looked up again until a fault is found."""
    row = cast(AlarmRecord, {name: None for name in names} | dict(before or {}) | episode)
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
    old_deviation = before["deviation"] if before else None
    deviation = max(episode.get("deviation") or 0.0, old_deviation or 0.0)
    level = priority(episode["kind"], deviation, _seconds(episode))
    row["state"] = life.state
    row["shelved_from_state"] = life.shelved_from
    row["priority"] = min(level, (before["priority"] if before else None) or level)
    row["deviation"] = deviation
    row["origin"] = origin_now(near, episode, before["origin"] if before else None)
    row["updated_at"] = now
    if row["peak_value"] is None and before is not None:
        row["peak_value"] = before["peak_value"]
    return row


def episode_detail(episode: Row, before: AlarmRecord | None) -> str:
    """The journal's word for a detector's transition."""
    if before is None:
        return "opened" if episode["active"] else "opened and ended"
    shelved = " while shelved" if before["state"] == states.SHELVED else ""
    return ("active again" if episode["active"] else "ended") + shelved


def origin(near: Nearby, row: Row) -> str | None:
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


def origin_now(near: Nearby, episode: Row, known: str | None) -> str | None:
    """An injected fault, once found, stays the origin; otherwise look again, since a fault
    injected during the alarm (a random spike opened it) is what the alarm is about."""
    if known == "injected":
        return known
    return origin(near, episode) or known


def _seconds(row: Row) -> float:
    return (parse_ts(row["end"]) - parse_ts(row["start"])).total_seconds()


# -- operator commands ------------------------------------------------------------------------


def command_row(
    row: AlarmRecord, action: str, now: str, actor: str, via: str, until: str | None
) -> tuple[AlarmChange, Journal]:
    """An operator's ack / shelve / unshelve of one alarm: the row after it and its journal
    line; AlarmCommandError when the state does not allow the action."""
    current = states.Lifecycle(row["state"], row["shelved_from_state"])
    step = {"ack": states.ack, "shelve": states.shelve, "unshelve": states.unshelve}[action]
    life = step(current)
    after = row.copy()
    after["state"], after["shelved_from_state"], after["updated_at"] = (
        life.state,
        life.shelved_from,
        now,
    )
    if action == "ack":
        after["acked_at"], after["acked_by"] = now, actor
    after["shelved_until"] = until if life.state == states.SHELVED else None
    detail = f"until {until}" if action == "shelve" else action
    line = (row["id"], now, row["state"], life.state, actor, via, detail)
    return AlarmChange(after, row["state"], life.state, actor, via), line
