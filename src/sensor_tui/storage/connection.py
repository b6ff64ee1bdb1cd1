"""Opening the database: the connection settings every connection shares, the schema a writer
makes sure of, the error a failed write raises, and the operator's simulated outage.

Why a module apart from `store`: readers, the writer's `Store`, the CLI's one-off commands and
the tests all open the file the same way; `store` is what the one writer does once it is open.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlite_utils import Database

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.tags import Config
from sensor_tui.storage.schema import migrate


class StoreUnavailable(SensorTuiError):
    """A write could not be committed: outage, lock, full disk, missing file. Retry later."""


class OutageSwitch:
    """The operator's simulated database outage (key `o`), shared by every writing Store."""

    def __init__(self) -> None:
        self._on = threading.Event()

    def set(self, on: bool) -> None:
        """Switch the simulated outage on or off."""
        if on:
            self._on.set()
        else:
            self._on.clear()

    @property
    def on(self) -> bool:
        """True while writes are made to fail."""
        return self._on.is_set()


def connect(path: str | Path, busy_ms: int = 1000) -> Database:
    """Open the database with the settings every connection of the monitor shares."""
    conn = sqlite3.connect(str(path), timeout=busy_ms / 1000)
    db = Database(conn, execute_plugins=False)
    db.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    return db


def create_schema(db: Database, config: Config) -> None:
    """Migrate the file to this release's schema and record the configured tags (a write: only
    the writer calls it; readers open read-only and never change the file)."""
    migrate(db)
    db.table("tags").upsert_all([tag.as_row() for tag in config.tags], pk="name")
    if db.conn.in_transaction:
        db.conn.commit()
