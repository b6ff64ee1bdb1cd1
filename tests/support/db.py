"""Looking into a database another process is writing (read-only, never in the way)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def stored_rows(db: Path) -> int:
    """Rows in `measurements` so far; 0 while the file or its table does not exist yet."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return int(conn.execute("SELECT count(*) FROM measurements").fetchone()[0])
    except sqlite3.Error:
        return 0
