"""Events a previous run left open: ended at start, so they cannot claim new alarms.

Why: a fault's `events` row gets its `end` when the fault ends. A run stopped (or killed) during
a fault leaves `end` NULL, and `storage.alarms` takes an event without an end as still going: every
alarm of that tag in every later run was put down to the injected fault (origin `inj`). At start
no fault of this run exists yet, so every open row is stale; it ends at its tag's last reading
within the hour after its start (the longest fault lasts minutes), or at its start.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from sensor_tui.model.readings import format_ts, parse_ts
from sensor_tui.model.timestamps import is_canonical

OPEN_SQL = 'SELECT id, tag, start FROM events WHERE "end" IS NULL'
LAST_READING_SQL = (
    "SELECT max(timestamp) FROM measurements WHERE tag = ? AND timestamp >= ? AND timestamp <= ?"
)
LONGEST_FAULT = timedelta(hours=1)


def end_open_events(conn: sqlite3.Connection) -> int:
    """End every event without an end (inside the caller's transaction); returns how many."""
    rows = conn.execute(OPEN_SQL).fetchall()
    for event_id, tag, start in rows:
        end = start
        if tag is not None and is_canonical(start):
            until = format_ts(parse_ts(start) + LONGEST_FAULT)
            last = conn.execute(LAST_READING_SQL, (tag, start, until)).fetchone()[0]
            end = last or start
        conn.execute('UPDATE events SET "end" = ? WHERE id = ?', (end, event_id))
    return len(rows)
