"""The forwarder's read-ahead: the next batch of readings read from SQLite while the current
one is sent to the historian (`pipeline.forward`)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sensor_tui.storage import Reader, StoreUnavailable
from sensor_tui.storage import forward_marks as marks


class Prefetch:
    """Reads the next batch from SQLite (its own read-only connection, on a second thread)
    while the current one is sent: SQLite builds COPY text without the GIL and the historian
    works on its own, so the two overlap instead of taking turns."""

    def __init__(self, db_path: Path, site_field: str, batch_rows: int) -> None:
        self._reader = Reader(db_path)
        self._site_field = site_field
        self._rows = batch_rows
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="forward-read")
        self._after = -1
        self._future: Future[Any] | None = None

    def start(self, after: int) -> None:
        """Begin reading the batch after id `after`."""
        self._after = after
        self._future = self._pool.submit(
            marks.copy_batch, self._reader, self._site_field, after, self._rows
        )

    def take(self, after: int) -> Any:
        """The batch read ahead if it starts where asked (else None: read it now)."""
        future, self._future = self._future, None
        if future is None or self._after != after:
            return None
        try:
            return future.result()
        except StoreUnavailable:
            return None

    def close(self) -> None:
        """Stop the thread and close its connection."""
        self._pool.shutdown(wait=True)
        self._reader.close()
