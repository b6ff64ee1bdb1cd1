"""Store-and-forward to the central historian: a thread that copies what SQLite committed.

    writer ── commit ──> SQLite (the durable buffer) ──> Forwarder (read-only Reader)
                                                           │ COPY batch, historian commit
                                                           v
    writer <── "save watermark" (writer queue) ─────── watermark advances

The local file stays the buffer: sources are acknowledged after the local commit, whatever the
historian does. The forwarder reads readings (by id), alarms (by `updated_at`) and alarm events
(by id) past its watermark, oldest first, sends them in batches, and advances its watermark only
after the historian's commit; the writer thread records it in SQLite (one writer, never a second
write connection). A crash between the two sends a batch again, which the historian ignores
(unique (site, tag, timestamp); alarms keyed by (site, id)).

While the historian is away the backlog waits in SQLite and the counters say
"forward: behind N readings since T"; when it returns the backlog drains oldest first, in
batches, between which live readings keep being stored locally as before.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sensor_tui.model.counters import Counters
from sensor_tui.model.readings import now_ts
from sensor_tui.model.tags import Config
from sensor_tui.pipeline.forward_prefetch import Prefetch
from sensor_tui.storage import Reader, Store, StoreUnavailable
from sensor_tui.storage import forward_marks as marks
from sensor_tui.storage.historian import HistorianUnavailable, connect, writes
from sensor_tui.storage.historian import schema as hschema

log = logging.getLogger(__name__)

WriterCall = Callable[[Callable[[Store], Any]], "Future[Any]"]
"""Runs a function on the pipeline's writer thread (`Pipeline.run_on_writer`)."""


@dataclass(frozen=True, slots=True)
class ForwardSettings:
    """Where and how to forward: `--forward URL` or `[forward]` in the config."""

    url: str
    site: str
    batch_rows: int = 20_000
    idle: float = 0.25
    """Seconds to wait when nothing is left to send."""
    retry_max: float = 5.0
    """Longest wait between attempts to reach an unreachable historian."""
    save_every: float = 1.0
    """Seconds between watermark saves while forwarding (and one at stop)."""
    drain_seconds: float = 5.0
    """At stop, how long to keep sending what is left while the historian answers."""


class Forwarder:
    """The forwarding thread (`start` / `stop`); state goes to the pipeline's counters."""

    def __init__(
        self,
        settings: ForwardSettings,
        db_path: str | Path,
        config: Config,
        counters: Counters,
        run_on_writer: WriterCall,
    ) -> None:
        self.settings = settings
        self._db_path = Path(db_path)
        self._config = config
        self._counters = counters
        self._run_on_writer = run_on_writer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forwarder", daemon=True)
        self._conn: Any = None
        self._days: set[date] = set()
        self._marks: dict[str, str] = {}
        self._events_sent: dict[str, tuple[Any, ...]] = {}
        """Event rows sent by this run, as sent: an unchanged row is not sent again."""
        self._pending_save: Future[Any] | None = None
        self._saved: dict[str, str] = {}
        self._saved_at = 0.0
        self._site_field = marks.copy_field(settings.site)
        self._prefetch = Prefetch(self._db_path, self._site_field, settings.batch_rows)
        self._down_since = ""
        self.forwarded = 0
        """Readings the historian stored new from this forwarder (duplicates not counted)."""
        self.backlog = 0

    def start(self) -> None:
        """Start the thread (the pipeline is started: the file is migrated)."""
        self._counters.set(forwarding=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the batch in hand; records the last watermark (before the pipeline stops)."""
        self._stop.set()
        self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        reader = Reader(self._db_path)
        delay = 0.5
        try:
            self._marks = marks.load_watermarks(reader)
            while not self._stop.is_set():
                try:
                    busy = self._step(reader)
                    delay = 0.5
                except (HistorianUnavailable, StoreUnavailable, OSError) as exc:
                    self._went_down(str(exc), reader)
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.settings.retry_max)
                    continue
                except Exception as exc:  # a driver error we did not foresee: retry, logged
                    log.exception("forwarder failed; retrying")
                    self._went_down(f"{type(exc).__name__}: {exc}", reader)
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.settings.retry_max)
                    continue
                if not busy:
                    self._stop.wait(self.settings.idle)
            self._final_drain(reader)
        finally:
            self._save_marks(wait=True)
            self._disconnect()
            self._prefetch.close()
            reader.close()

    def _final_drain(self, reader: Reader) -> None:
        """At stop, while the historian answers: send what the last flush stored, for up to
        `drain_seconds` (what is left goes at the next start)."""
        deadline = time.monotonic() + self.settings.drain_seconds
        try:
            while time.monotonic() < deadline and not self._down_since:
                if not self._step(reader) and self.backlog == 0:
                    return
        except (HistorianUnavailable, StoreUnavailable, OSError) as exc:
            log.info("historian drain at stop ended early: %s", exc)

    def _step(self, reader: Reader) -> bool:
        """Send one batch of each kind; True when a full batch of readings was sent."""
        conn = self._connection()
        last = int(self._marks["measurements"])
        top, count, text, minutes = self._prefetch.take(last) or marks.copy_batch(
            reader, self._site_field, last, self.settings.batch_rows
        )
        if count >= self.settings.batch_rows:  # more waits: read it while this one is sent
            self._prefetch.start(top)
        try:
            if count:
                self.forwarded += writes.write_copy_batch(
                    conn, self.settings.site, text, minutes, self._days
                )
                self._marks["measurements"] = str(top)
            self._step_alarms(conn, reader)
            self._step_events(conn, reader)
        except Exception as exc:
            self._disconnect()
            if _is_driver_error(exc):
                raise HistorianUnavailable(str(exc).strip().splitlines()[0]) from exc
            raise
        self._save_marks(wait=False)
        self.backlog = marks.backlog(reader, int(self._marks["measurements"]))
        self._report(up=True)
        return count >= self.settings.batch_rows

    def _step_alarms(self, conn: Any, reader: Reader) -> None:
        alarms = marks.alarms_after(reader, self._marks["alarms"])
        events = marks.alarm_events_after(reader, int(self._marks["alarm_events"]), 5000)
        if not alarms and not events:
            return
        writes.write_alarms(conn, self.settings.site, alarms, events)
        if alarms:
            self._marks["alarms"] = max(
                str(row[marks.UPDATED_AT] or row[marks.START]) for row in alarms
            )
        if events:
            self._marks["alarm_events"] = str(events[-1][0])

    def _step_events(self, conn: Any, reader: Reader) -> None:
        """The `events` journal (faults, outages): rows new or changed since last sent."""
        rows = marks.events_changed(reader, self._marks["events"])
        fresh = [row for row in rows if self._events_sent.get(row[0]) != row]
        if fresh:
            writes.write_events(conn, self.settings.site, fresh)
            self._events_sent.update((row[0], row) for row in fresh)
        self._marks["events"] = marks.events_mark(rows, self._marks["events"])

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            conn = connect(self.settings.url)
            try:
                hschema.migrate(conn)
                writes.write_tags(conn, self.settings.site, [t.as_row() for t in self._config.tags])
            except Exception as exc:
                conn.close()
                if _is_driver_error(exc):
                    raise HistorianUnavailable(str(exc).strip().splitlines()[0]) from exc
                raise
            self._conn, self._days = conn, set()
        return self._conn

    def _disconnect(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # closing a broken connection may itself fail; it is gone anyway
                log.debug("closing the historian connection failed", exc_info=True)
            self._conn = None

    def _save_marks(self, wait: bool) -> None:
        """Hand the watermark to the writer thread; one request in flight at a time, and at
        most one a `save_every` seconds (each is a local commit, which the writer's ingest
        would wait behind; a watermark saved late only means a batch is resent)."""
        if not self._marks or self._marks == self._saved:
            return
        if not wait and (
            (self._pending_save is not None and not self._pending_save.done())
            or time.monotonic() - self._saved_at < self.settings.save_every
        ):
            return
        snapshot = dict(self._marks)
        self._saved, self._saved_at = snapshot, time.monotonic()
        try:
            self._pending_save = self._run_on_writer(lambda s: marks.save_watermarks(s, snapshot))
            if wait:
                self._pending_save.result(timeout=5)
        except Exception as exc:  # stopped pipeline, outage: the batch is sent again later
            log.info("forward watermark not saved (%s); the next start resends, harmlessly", exc)

    # -- state for the status line, /health, /metrics ---------------------------------------

    def _went_down(self, reason: str, reader: Reader) -> None:
        if not self._down_since:
            self._down_since = now_ts()
            log.warning("historian unreachable: %s", reason)
        with contextlib.suppress(StoreUnavailable, KeyError, ValueError):
            self.backlog = marks.backlog(reader, int(self._marks["measurements"]))
        self._report(up=False, reason=reason)

    def _report(self, up: bool, reason: str = "") -> None:
        if up and self._down_since:
            log.warning("historian reachable again; %d readings to send", self.backlog)
            self._down_since = ""
        self._counters.set(
            forward_backlog=self.backlog,
            forward_since=self._down_since,
            forward_error=reason,
            forward_up=up,
            forward_forwarded=self.forwarded,
        )


def _is_driver_error(exc: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.Error)
