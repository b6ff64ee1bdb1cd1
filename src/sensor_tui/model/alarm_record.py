"""The alarm record: one row of the `alarms` table, as the alarm rules and storage pass it.

Why a TypedDict and not a class: the row travels as JSON (GET /alarms, the notification
command's stdin) and is written by named SQL parameters; a TypedDict names and types every
column for the type checker while the value stays the plain dict those ends take, so no JSON
shape changes.

Two shapes, because there are two honest types for `contributions`: `AlarmRecord` is the row as
stored and written (the rules in `alarming.decisions`, the writes in `storage.alarms`,
`AlarmChange.row`), where a unit alarm's contributions are the JSON *text* SQLite holds;
`AlarmRow` is the row the read queries give back (`storage.alarm_reads`, the historian reader,
GET /alarms, `sensor-tui alarms`), where that text is decoded to {tag: share}. Widening one
field to `str | dict | None` would let a reader forget to decode and a writer store a dict; two
types make the one conversion (`read_back`) the only way from one to the other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypedDict, cast


class AlarmColumns(TypedDict):
    """The columns both shapes share: the detector's episode (tag, kind, span, scores) and its
    life cycle. Not used on its own; see `AlarmRecord` and `AlarmRow`."""

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


class AlarmRecord(AlarmColumns):
    """One alarm as stored and written."""

    contributions: str | None
    """A unit alarm's {tag: share} as JSON text (decoded by the read queries)."""


class AlarmRow(AlarmColumns):
    """One alarm as the read queries give it back."""

    contributions: dict[str, float] | None
    """A unit alarm's {tag: share}, decoded; None for a tag's alarm."""


AnyAlarmRow = AlarmRecord | AlarmRow
"""Either shape, for the code that is handed both: `AlarmChange.row` is the stored record after a
local write but the read-back row when a viewer follows the historian, and the alarm panel and
the notification document take whichever arrives (they decode text contributions themselves)."""


def record_from(names: Sequence[str], values: Sequence[Any]) -> AlarmRecord:
    """A stored row (`values` in the order of the column `names`) as the record.

    The one place a plain dict built from SQL becomes the record: the column lists
    (`storage.alarms.ALARM_NAMES`, the historian's `ALARM_COLUMNS`) name exactly its keys, which
    the type checker cannot see through `zip`, hence the cast.
    """
    return cast(AlarmRecord, dict(zip(names, values, strict=True)))


def read_back(record: AlarmRecord) -> AlarmRow:
    """The record as the read queries give it: a unit alarm's contributions decoded."""
    raw = record["contributions"]
    row: AlarmRow = {**record, "contributions": json.loads(raw) if isinstance(raw, str) else None}
    return row
