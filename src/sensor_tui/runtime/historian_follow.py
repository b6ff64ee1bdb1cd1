"""The historian view follows the edges: a thread that reads, every few seconds, what they
forwarded since, and hands it to the app as the pipeline hands an edge's commits.

Why poll: the edges commit to PostgreSQL in batches a second or so apart; LISTEN/NOTIFY would
need the forwarder to notify and a connection per viewer held for it, for no gain at this
pace. Each poll is one index range per tag (the readings after the last seen) and one for the
alarms changed after the last change seen, so it costs the same whatever the history's size.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.model.alarm_record import AlarmRow
from sensor_tui.pipeline.batches import StoredBatch
from sensor_tui.storage import StoreUnavailable
from sensor_tui.storage.historian import follow_reads

log = logging.getLogger(__name__)

EVERY = 2.0
"""Seconds between polls."""
LIMIT = 10_000
"""Readings per tag and poll at most (the newest: a viewer behind shows the present)."""


class Follower:
    """Polls one site's readings and alarms; calls `on_stored` and `on_alarms` with news."""

    def __init__(
        self,
        open_reader: Callable[[], Any],
        tags: list[str],
        on_stored: Callable[[StoredBatch], None],
        on_alarms: Callable[[list[AlarmChange]], None],
        every: float = EVERY,
    ) -> None:
        self._open_reader = open_reader
        self._tags = tags
        self._on_stored = on_stored
        self._on_alarms = on_alarms
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="historian-follow", daemon=True)
        self._last: dict[str, str] = {}
        self._alarms_mark = ""
        self._opened_mark = ""
        """Alarms that started by then were in the panel already: a change is no new alarm."""
        self._states: dict[str, str] = {}

    def start(self) -> None:
        """Note where the history ends now (synchronously: the app loads up to here), start."""
        reader = self._open_reader()
        try:
            self._last = {tag: follow_reads.newest_timestamp(reader, tag) for tag in self._tags}
            self._alarms_mark = follow_reads.last_alarm_change(reader)
            self._opened_mark = self._alarms_mark
        except StoreUnavailable as exc:
            log.warning("historian view: cannot note where the history ends: %s", exc)
        finally:
            reader.close()
        self._thread.start()

    def stop(self) -> None:
        """Stop after the poll in hand."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5.0)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            reader = self._open_reader()
            try:
                self.poll(reader)
            except StoreUnavailable as exc:  # the historian is away: try again next time
                log.info("historian view: poll failed: %s", exc)
            finally:
                reader.close()

    def _state_before(self, row: AlarmRow) -> str | None:
        """The alarm's state when last seen; None for an alarm new since the view opened."""
        known = self._states.get(row["id"])
        if known is None and self._opened_mark and row["start"] <= self._opened_mark:
            return str(row["state"])
        return known

    def poll(self, reader: Any) -> None:
        """One round: new readings of every tag, then changed alarms."""
        news = []
        for tag in self._tags:
            fresh = follow_reads.readings_after(reader, tag, self._last.get(tag, ""), LIMIT)
            if fresh:
                self._last[tag] = fresh[-1].timestamp
                news.extend(fresh)
            elif not self._last.get(tag):  # a tag with nothing stored at start
                self._last[tag] = follow_reads.newest_timestamp(reader, tag)
        if news:
            self._on_stored(StoredBatch(news, "historian"))
        rows = follow_reads.alarms_changed_after(reader, self._alarms_mark)
        if rows:
            self._alarms_mark = max(str(r["updated_at"] or r["start"]) for r in rows)
            changes = [AlarmChange(r, self._state_before(r), r["state"]) for r in rows]
            self._states.update((r["id"], r["state"]) for r in rows)
            self._on_alarms(changes)
