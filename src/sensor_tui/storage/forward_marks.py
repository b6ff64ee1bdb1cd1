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

from sensor_tui.storage.alarms import ALARM_FIELDS, ALARM_NAMES
from sensor_tui.storage.reader import Reader
from sensor_tui.storage.store import Store

FORWARDED_FIELDS = ALARM_FIELDS
"""The alarm columns the historian holds (`storage.historian.writes.ALARM_COLUMNS` order)."""
UPDATED_AT = ALARM_NAMES.index("updated_at")
START = ALARM_NAMES.index("start")
EVENT_FIELDS = 'id, start, "end", tag, kind, source, detail'
"""The `events` journal's columns, in the order `writes.write_events` takes them."""

MARKS = {"measurements": "0", "alarm_events": "0", "alarms": "", "events": ""}
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


def _text(column: str) -> str:
    """A nullable text column as a COPY text field (backslash, tab, newline, CR escaped)."""
    escaped = column
    for raw, esc in (("'\\'", "'\\\\'"), ("char(9)", "'\\t'"), ("char(10)", "'\\n'"),
                     ("char(13)", "'\\r'")):  # fmt: skip
        escaped = f"replace({escaped}, {raw}, {esc})"
    return f"coalesce({escaped}, '\\N')"


COPY_LINE = (
    # One reading as a line of PostgreSQL's COPY text format, built by SQLite (in C, without
    # the GIL): site, ts, tag, value, is_anomaly, score, kind, source. '%!.17g' keeps every bit
    # of a double (SQLite's plain %g stops at 16 digits).
    "? || char(9) || timestamp || char(9) || " + _text("tag") + " || char(9) ||"
    " printf('%!.17g', value) || char(9) || CASE WHEN is_anomaly THEN 't' ELSE 'f' END"
    " || char(9) || CASE WHEN score IS NULL THEN '\\N' ELSE printf('%!.17g', score) END"
    " || char(9) || " + _text("kind") + " || char(9) || " + _text("source")
)
COPY_BATCH_SQL = (
    "SELECT max(id), count(*), group_concat(line, char(10)) FROM (SELECT id, "
    + COPY_LINE
    + " AS line FROM measurements WHERE id > ? ORDER BY id LIMIT ?)"
)
MINUTES_SQL = (
    "SELECT tag, substr(timestamp, 1, 16) || ':00Z' AS b, min(value), max(value), sum(value),"
    " count(*), sum(is_anomaly != 0) FROM measurements WHERE id > ? AND id <= ? GROUP BY tag, b"
)


def copy_batch(
    reader: Reader, site_field: str, last_id: int, limit: int
) -> tuple[int, int, bytes, list[tuple[Any, ...]]]:
    """The next readings after `last_id` as COPY text, with their per-minute rollup rows:
    (last id in the batch, rows, text, minute rows). `site_field` is the site, escaped."""
    top, count, text = reader._rows(COPY_BATCH_SQL, (site_field, last_id, limit))[0]
    if not count:
        return last_id, 0, b"", []
    minutes = reader._rows(MINUTES_SQL, (last_id, top))
    return int(top), int(count), (text + "\n").encode(), minutes


def copy_field(text: str) -> str:
    """A value as a COPY text field."""
    for raw, esc in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(raw, esc)
    return text


def backlog(reader: Reader, last_id: int) -> int:
    """Readings stored locally and not yet forwarded (ids only grow, without gaps)."""
    top = reader._rows("SELECT max(id) FROM measurements", ())[0][0] or 0
    return max(0, int(top) - last_id)


def alarms_after(reader: Reader, updated_at: str) -> list[tuple[Any, ...]]:
    """Alarm rows changed after `updated_at` (every change of a row sets it), oldest first.

    Every row a transaction changes gets that transaction's time, so a row with the same
    `updated_at` as the watermark was read with the batch that set it. No LIMIT: a batch cut
    inside one transaction's rows would leave the rest behind the watermark for ever (alarm
    rows are few; an import that raises thousands sends them in one go)."""
    if not reader.has_table("alarm_events"):
        return []
    return reader._rows(
        # rows from before the life cycle have no updated_at: their start stands in
        f"SELECT {FORWARDED_FIELDS} FROM alarms WHERE coalesce(updated_at, start) > ?"
        " ORDER BY coalesce(updated_at, start)",
        (updated_at,),
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


def events_changed(reader: Reader, start: str) -> list[tuple[Any, ...]]:
    """`events` rows (faults, outages) that started at or after `start`, or are still open.

    An event's row changes once, when it ends, and has no change time of its own; so the
    watermark is the start of the oldest event still open when last sent (or of the newest
    sent), and the forwarder skips the rows it already sent unchanged. Events are few (one per
    injected fault or outage), so reading them again costs nothing."""
    if not reader.has_table("events"):
        return []
    return reader._rows(
        f'SELECT {EVENT_FIELDS} FROM events WHERE start >= ? OR "end" IS NULL ORDER BY start',
        (start,),
    )


def events_mark(rows: list[tuple[Any, ...]], current: str) -> str:
    """The next events watermark after sending `rows` (see `events_changed`)."""
    starts = [row[1] or "" for row in rows]
    open_starts = [row[1] or "" for row in rows if row[2] is None]
    if open_starts:
        return min(open_starts)
    return max([current, *starts])
