"""Fill the gap a lost OPC UA connection leaves, from the server's own history (HistoryRead).

A subscription delivers changes only while it exists: what the PLC sampled while the network was
down, or between the server's return and our reconnect, never arrives as a data change. When
the server keeps history for a node, those values are read back after the (re)subscription,
from the last source timestamp we took for that tag to now, and go through the same pipeline
with `source = opcua-history`. The store's UNIQUE (tag, timestamp) makes the fill idempotent:
a value that also came as a data change is a duplicate, not a second row.

A server without history answers with a Bad status (`BadHistoryOperationUnsupported`); that tag
is then not asked again in this run, and the gap stays (said once in the log).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from asyncua import Client, ua

from sensor_tui.sources.reasons import status_name

log = logging.getLogger(__name__)

SOURCE_HISTORY = "opcua-history"
"""The `source` column of readings read back from the server's history."""

_STEP = timedelta(microseconds=1)
_AHEAD = timedelta(hours=1)
"""The read ends this far past our clock: a server whose clock is ahead of ours stamps the
outage's last values later than our "now", and they must not fall outside the read."""

RETRY_AFTER = 2.0
"""Seconds before a fill whose read failed while the session stayed up is tried again. A read
that times out on a loaded machine leaves the connection up, so waiting for the next reconnect
to retry it could leave the gap open for the whole session."""


class GapFiller:
    """Per tag: the newest source timestamp taken; reads the history after it when asked."""

    def __init__(self, nodes: dict[str, str], source_name: str) -> None:
        self.nodes = nodes
        self.name = source_name
        self.last: dict[str, datetime] = {}
        self.unfilled: dict[str, datetime] = {}
        """Marks whose read failed (the connection went again): the next fill starts there."""
        self.unsupported: set[str] = set()
        self._tried: dict[str, float] = {}  # tag -> monotonic time of its last read

    def seen(self, tag: str, stamp: datetime | None) -> None:
        """Note a value taken for `tag` (from a data change or from history)."""
        if stamp is None:
            return
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        old = self.last.get(tag)
        if old is None or stamp > old:
            self.last[tag] = stamp

    def marks(self) -> dict[str, datetime]:
        """Each tag's newest timestamp now: taken *before* subscribing, because the first data
        change of a new subscription (the current value) moves it past the gap. A gap whose
        fill failed keeps its older start."""
        return {**self.last, **self.unfilled}

    def due(self, subscribed: list[str]) -> list[str]:
        """Subscribed tags whose last fill failed at least `RETRY_AFTER` seconds ago."""
        now = time.monotonic()
        return [
            tag
            for tag in subscribed
            if tag in self.unfilled and now - self._tried.get(tag, 0.0) >= RETRY_AFTER
        ]

    async def read(
        self, client: Client, tags: list[str], marks: dict[str, datetime]
    ) -> list[tuple[str, ua.DataValue]]:
        """The values each tag's node recorded after its mark, oldest first."""
        until = datetime.now(UTC) + _AHEAD
        out: list[tuple[str, ua.DataValue]] = []
        wanted = {t: marks[t] for t in tags if t in marks and t not in self.unsupported}
        self.unfilled.update(wanted)  # each until its read succeeds
        self._tried.update(dict.fromkeys(wanted, time.monotonic()))
        for tag, since in wanted.items():
            node = client.get_node(self.nodes[tag])
            try:
                values = await node.read_raw_history(since + _STEP, until, return_bounds=False)
            except (ConnectionError, TimeoutError) as exc:  # lost again: what was read counts
                log.info("%s: history read cut short (%s)", self.name, exc)
                break
            except ua.UaStatusCodeError as exc:
                self.unsupported.add(tag)
                self.unfilled.pop(tag, None)
                log.info(
                    "%s: no history for %s (%s); its gap is not filled",
                    self.name, tag, status_name(exc.code),
                )  # fmt: skip
                continue
            except ua.UaError as exc:  # not an answer about history: try again next time
                log.info("%s: history of %s not read (%s)", self.name, tag, exc)
                continue
            self.unfilled.pop(tag, None)
            out += [(tag, value) for value in values]
            if values:
                log.info(
                    "%s: %d value(s) of %s read back from history (gap since %s)",
                    self.name, len(values), tag, since.isoformat(),
                )  # fmt: skip
        return out
