"""An import's replay check: readings already in the database skip detection altogether.

Why: `INSERT OR IGNORE` keeps a replayed reading from being stored twice, but detection ran
before the insert, on a detector warmed with the *end* of the file and then fed its start again.
It saw a jump, raised a drift alarm over readings nobody flagged, and rewrote the reading count
of an alarm the first import had stored. A reading whose (tag, timestamp) is stored is therefore
counted as a duplicate and never reaches a detector, so a replay changes no table.
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
from pathlib import Path

from sensor_tui.model.counters import Counters
from sensor_tui.model.readings import Reading
from sensor_tui.storage import Reader, StoreUnavailable

_TIMESTAMP = attrgetter("timestamp")
_TAG = attrgetter("tag")


class AlreadyStored:
    """Takes the stored readings out of each chunk; counts them as duplicates."""

    def __init__(self, path: Path, counters: Counters) -> None:
        self._reader = Reader(path)
        self._counters = counters

    def fresh(self, readings: list[Reading]) -> list[Reading]:
        """The readings of `readings` whose (tag, timestamp) is not stored yet, in order.

        One query per chunk, over the chunk's whole span for its tags (a wider span than each
        tag's own only reads a few more keys, and the membership test below is exact); the span
        and the tags are taken with C-level `min`, `max` and `set` over the readings, since this
        runs for every imported reading."""
        if not readings:
            return readings
        stamps = list(map(_TIMESTAMP, readings))
        try:
            stored = self._reader.stored_keys(
                sorted(set(map(_TAG, readings))), min(stamps), max(stamps)
            )
        except StoreUnavailable:  # no file yet: nothing is stored
            return readings
        if not stored:
            return readings
        fresh = [r for r in readings if (r.tag, r.timestamp) not in stored]
        self._counters.stored(0, len(readings) - len(fresh), Counter())
        return fresh

    def close(self) -> None:
        """Close the read connection."""
        self._reader.close()
