"""The alarm record: one row of the `alarms` table, as the alarm rules and storage pass it.

Why a TypedDict and not a class: the row travels as JSON (GET /alarms, the notification
command's stdin) and is written by named SQL parameters; a TypedDict names and types every
column for the type checker while the value stays the plain dict those ends take, so no JSON
shape changes. The alarm rules (`alarming.decisions`) and the writes (`storage.alarms`) use it;
`AlarmChange.row`, the read queries and the terminal UI still take `dict[str, Any]` and can
follow (a TypedDict is not a `dict[str, Any]` to the type checker, so they move together).
"""

from __future__ import annotations

from typing import TypedDict


class AlarmRecord(TypedDict):
    """One alarm: the detector's episode (tag, kind, span, scores) and its life cycle."""

    id: str
    """`tag@start`: stable, so re-importing the same readings rewrites rather than duplicates."""
    tag: str
    """The tag, or a unit's name for a unit alarm."""
    kind: str
    """A `model.faults.FaultKind` value."""
    start: str
    end: str
    peak_score: float | None
    readings: int
    active: int
    """1 while the fault lasts (SQLite has no bool)."""
    state: str
    """An ISA-18.2 state of `alarming.states`."""
    priority: int | None
    """1 (URGENT) to 4 (LOW), `alarming.priority`; never lowered during an alarm."""
    acked_at: str | None
    acked_by: str | None
    shelved_until: str | None
    shelved_from_state: str | None
    last_value: float | None
    peak_value: float | None
    deviation: float | None
    """How far past the normal band (in band widths) the value went at most."""
    source: str | None
    """Where the readings came from (`import`, `unit`, a source's name...)."""
    origin: str | None
    """`injected` or `random` when a simulated fault lies behind it, else None."""
    updated_at: str | None
    contributions: str | None
    """A unit alarm's {tag: share} as JSON text (decoded by the read queries)."""
