"""Where a database's readings came from, as far as starting the monitor needs to know.

`sensor-tui --db nab.db` on an imported file must not start the simulator: it would write
invented readings (and raise false alarms) into real data. A file that holds readings, none of
them from the simulator, is such a file.
"""

from __future__ import annotations

import sqlite3

from sensor_tui.storage.reader import Reader
from sensor_tui.storage.store import StoreUnavailable

SCANNED = 1_000_000
"""Newest readings looked at: the answer costs a fraction of a second at start, whatever the
size of the file (a simulator's file answers at its newest row)."""


def holds_only_outside_readings(reader: Reader) -> bool:
    """True when the file holds readings and none of its newest SCANNED has source 'sim'."""
    if not reader.has_table("measurements"):
        return False
    try:
        conn = reader.connection()
        if conn.execute("SELECT 1 FROM measurements LIMIT 1").fetchone() is None:
            return False
        sim = conn.execute(
            "SELECT 1 FROM (SELECT source FROM measurements ORDER BY rowid DESC LIMIT ?)"
            " WHERE source = 'sim' LIMIT 1",
            (SCANNED,),
        ).fetchone()
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"cannot read {reader.path}: {exc}") from exc
    return sim is None
