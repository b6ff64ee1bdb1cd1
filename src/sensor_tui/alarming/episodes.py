"""What an alarm row carries beyond the tracker's columns: peak value, deviation, value now.

The tracker (`sensor_tui.alarms`) knows when an episode opens and ends but keeps only the peak
*score*, whose unit depends on the detector. Priority needs how far the tag went outside its
normal band, in the tag's own unit, and the panel shows the value now. `EpisodeFacts` sees the
same readings as the tracker, in the same order and under the same lock, and adds those columns
to each changed alarm's row when the writer takes it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sensor_tui.alarming.priority import outside
from sensor_tui.model.readings import Reading
from sensor_tui.model.tags import Config

KEEP_CLOSED = 256
"""Closed alarms whose peak is remembered (a requeued row after a failed write needs it)."""


class EpisodeLike(Protocol):
    """What is read from the tracker's alarms (the `alarms` row contract)."""

    tag: str
    start: str
    end: str
    active: bool

    @property
    def id(self) -> str: ...

    def as_row(self) -> dict[str, object]: ...


@dataclass(slots=True)
class _Peak:
    value: float
    distance: float
    """|value - band centre|: the reading farthest from normal is the peak."""
    deviation: float


class EpisodeFacts:
    """Per tag: flagged readings since the last take, the last value, the readings' source."""

    def __init__(self, config: Config) -> None:
        self._bands = {tag.name: tag.normal for tag in config.tags}
        self._flagged: dict[str, list[Reading]] = {}
        self._last: dict[str, Reading] = {}
        self._peaks: dict[str, _Peak] = {}
        self._closed: dict[str, None] = {}
        self._stamps: dict[str, list[str]] = {}

    def observe(self, readings: Sequence[Reading], any_flagged: bool = True) -> None:
        """Account for readings the tracker was just fed (same order, same lock).

        On the import's hot path: the last reading of each tag is found walking back from the
        end (a few readings, not the batch), and flagged ones are looked for only when the
        detector flagged any.
        """
        last, wanted, seen = self._last, len(self._bands), set()
        for reading in reversed(readings):
            if reading.tag not in seen:
                seen.add(reading.tag)
                last[reading.tag] = reading
                if len(seen) >= wanted:
                    break
        if any_flagged:
            flagged = self._flagged
            for reading in [r for r in readings if r.is_anomaly]:
                flagged.setdefault(reading.tag, []).append(reading)

    def rows(self, alarms: Sequence[EpisodeLike]) -> list[dict[str, Any]]:
        """The changed alarms' rows with peak_value, deviation, last_value and source added."""
        self._stamps = {tag: [r.timestamp for r in rs] for tag, rs in self._flagged.items()}
        rows = [self._row(alarm) for alarm in alarms]
        self._flagged.clear()
        return rows

    def _row(self, alarm: EpisodeLike) -> dict[str, Any]:
        row = dict(alarm.as_row())
        peak = self._peak(alarm)
        last = self._last.get(alarm.tag)
        flagged = self._flagged.get(alarm.tag)
        source = flagged[-1].source if flagged else last.source if last else None
        row.update(
            peak_value=peak.value if peak else None,
            deviation=round(peak.deviation, 4) if peak else 0.0,
            last_value=last.value if last else None,
            source=source,
        )
        if not alarm.active:
            self._closed[alarm.id] = None
            while len(self._closed) > KEEP_CLOSED:  # kept a while: a failed write retries them
                self._peaks.pop(next(iter(self._closed)), None)
                del self._closed[next(iter(self._closed))]
        return row

    def _peak(self, alarm: EpisodeLike) -> _Peak | None:
        band = self._bands.get(alarm.tag, (0.0, 1.0))
        centre = (band[0] + band[1]) / 2
        peak = self._peaks.get(alarm.id)
        flagged, stamps = self._flagged.get(alarm.tag, []), self._stamps.get(alarm.tag, [])
        lo, hi = bisect.bisect_left(stamps, alarm.start), bisect.bisect_right(stamps, alarm.end)
        for reading in flagged[lo:hi]:  # each tag's readings arrive in time order
            if alarm.start <= reading.timestamp <= alarm.end:
                distance = abs(reading.value - centre)
                if peak is None or distance > peak.distance:
                    peak = _Peak(reading.value, distance, outside(reading.value, band))
        if peak is not None:
            self._peaks[alarm.id] = peak
        return peak
