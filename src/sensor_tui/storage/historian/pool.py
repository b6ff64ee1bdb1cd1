"""Connections kept open between a viewer's reads, so panning does not connect each time.

Why: the monitor's charts read through a fresh reader per worker (one thread each, closed at
the end). Against a local file that is free; against the historian every reader was a new
connection (socket, authentication, session settings): 7-10 ms on the same machine, tens of
milliseconds over a network, spent on every pan of every chart. A `ReaderPool` lends its
readers a connection left idle by an earlier one; a reader's `close` gives it back.

A connection goes back only when idle (no query or transaction left open, e.g. by a read cut
short); any other is closed. At most `keep` idle connections are held.
"""

from __future__ import annotations

import threading
from typing import Any

from sensor_tui.storage.historian.reader import PgReader


class ReaderPool:
    """Idle read-only connections to one historian, lent to `PooledReader`s."""

    def __init__(self, url: str, keep: int = 4) -> None:
        self.url = url
        self.keep = keep
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def reader(self, site: str | None = None) -> PgReader:
        """A reader of `site` (None: every site) that gives its connection back at close."""
        return PooledReader(self, site)

    def take(self) -> Any:
        """An idle connection, or None (the reader then connects)."""
        with self._lock:
            return self._idle.pop() if self._idle else None

    def give(self, conn: Any) -> None:
        """Keep an idle connection for the next reader; close any other."""
        import psycopg

        idle = (
            not conn.closed
            and not conn.broken
            and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        with self._lock:
            if idle and len(self._idle) < self.keep:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close every idle connection (readers still lent close theirs themselves)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class PooledReader(PgReader):
    """A `PgReader` whose connection comes from, and goes back to, a `ReaderPool`."""

    def __init__(self, pool: ReaderPool, site: str | None) -> None:
        super().__init__(pool.url, site)
        self._pool = pool
        self._conn = pool.take()

    def close(self) -> None:
        """Give the connection back to the pool (closed if it is not idle)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            self._pool.give(conn)
