"""The chaos run's readings as a pure function of (run, index), shared by every client and checker.

Each reading gets its own timestamp (one microsecond apart, ten seconds of them per run), so
(tag, timestamp) keys never collide across batches or restarts, and "stored exactly once" can be
checked key by key. Every seventh batch carries one invalid measurement, to exercise rejections.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sensor_tui.model.readings import format_ts

BASE = datetime(2025, 1, 1, tzinfo=UTC)
PER_RUN = 10_000_000
"""Microseconds (= readings) reserved for one run; a run never sends more."""
TAGS = (("fermenter_temp", 35.0, 5.0), ("fermenter_ph", 6.5, 1.0), ("agitator_rpm", 300.0, 300.0))
REJECT_EVERY = 7


def reading_key(run: int, index: int, size: int, j: int) -> tuple[str, str]:
    """The (tag, timestamp) of reading j of batch (run, index)."""
    offset = run * PER_RUN + index * size + j
    return TAGS[offset % len(TAGS)][0], format_ts(BASE + timedelta(microseconds=offset))


def batch_keys(run: int, index: int, size: int) -> list[tuple[str, str]]:
    """The keys of the valid readings of a batch."""
    return [reading_key(run, index, size, j) for j in range(size)]


def batch_measurements(run: int, index: int, size: int) -> list[dict[str, Any]]:
    """The JSON measurements a client posts for batch (run, index)."""
    items: list[dict[str, Any]] = []
    for j, (tag, stamp) in enumerate(batch_keys(run, index, size)):
        low, width = next((lo, w) for name, lo, w in TAGS if name == tag)
        items.append({"tag": tag, "timestamp": stamp, "value": low + width * (j % 10) / 10})
    if index % REJECT_EVERY == 0:
        items.append({"tag": "fermenter_temp", "timestamp": "not a time", "value": 1.0})
    return items
