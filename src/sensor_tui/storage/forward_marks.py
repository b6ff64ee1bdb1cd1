"""The local side of forwarding to the historian: what is not yet forwarded, and the watermark.

The watermark is a row per forwarded table in `forward_watermark` (schema step 5): the last
reading id and alarm-event id the historian has committed, and the `updated_at` of the last
alarm row sent. Only the writer thread writes it (`save_watermarks`, run through the pipeline's
writer queue after the historian's commit); the forwarder reads everything through a read-only
`Reader`. A watermark saved late only means a batch is sent again, which the historian ignores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sensor_tui.storage.alarms import ALARM_FIELDS
from sensor_tui.storage.reader import Reader
from sensor_tui.storage.store import Store

MARKS = {"measurements": "0", "alarm_events": "0", "alarms": ""}
"""Watermark name -> its value before anything was forwarded."""


def load_watermarks(reader: Reader) -> dict[str, str]:
    """The saved watermarks (the defaults for a table never forwarded)."""
    marks = dict(MARKS)
    if reader.has_table("forward_watermark"):
        for name, value in reader._rows("SELECT name, value FROM forward_watermark", ()):
            marks[name] = value
    return marks


def save_watermarks(store: Store, marks: Mapping[str, str]) -> None:
    """On the writer thread: record watermarks the historian has committed past."""
    conn = store._writable_db().conn
    with conn:
        conn.executemany(
            "INSERT INTO forward_watermark (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            list(marks.items()),
        )


def readings_after(reader: Reader, last_id: int, limit: int) -> list[tuple[Any, ...]]:
    """(id, timestamp, tag, value, is_anomaly, score, kind, source) after an id, oldest first."""
    return reader._rows(
        "SELECT id, timestamp, tag, value, is_anomaly, score, kind, source FROM measurements"
        " WHERE id > ? ORDER BY id LIMIT ?",
        (last_id, limit),
    )


def backlog(reader: Reader, last_id: int) -> int:
    """Readings stored locally and not yet forwarded (ids only grow, without gaps)."""
    top = reader._rows("SELECT max(id) FROM measurements", ())[0][0] or 0
    return max(0, int(top) - last_id)


def alarms_after(reader: Reader, updated_at: str, limit: int) -> list[tuple[Any, ...]]:
    """Alarm rows changed after `updated_at` (every change of a row sets it), oldest first.

    Every row a transaction changes gets that transaction's time, so a row with the same
    `updated_at` as the watermark was read with the batch that set it."""
    if not reader.has_table("alarm_events"):
        return []
    return reader._rows(
        f"SELECT {ALARM_FIELDS} FROM alarms WHERE coalesce(updated_at, '') > ?"
        " ORDER BY updated_at LIMIT ?",
        (updated_at, limit),
    )


def alarm_events_after(reader: Reader, last_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Alarm journal rows after an id, oldest first."""
    if not reader.has_table("alarm_events"):
        return []
    return reader._rows(
        "SELECT id, alarm_id, time, from_state, to_state, actor, via, detail FROM alarm_events"
        " WHERE id > ? ORDER BY id LIMIT ?",
        (last_id, limit),
    )
