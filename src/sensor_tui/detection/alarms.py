"""Alarm hygiene: consecutive flagged readings of one fault become one alarm.

A detector judges single readings; an operator acknowledges faults. A noise burst flags most but
not all of its readings, a step is flagged for minutes: shown reading by reading they chatter.
`AlarmTracker` groups each tag's flagged readings into alarms: an alarm opens at the first flagged
reading and closes once `hold_off` readings of that tag in a row were not flagged, so gaps shorter
than the hold-off do not open a new alarm. The hold-off counts readings, not seconds, for the same
reason the simulator's fault durations do: an import at full speed and a live stream at 1 Hz group
alike.

An alarm's kind is the kind most of its readings were flagged with (the first seen wins a tie):
a step is reported as a spike for its first readings, until it has lasted, and a noise burst may
flag a spike before the burst is recognised. Its score is the largest |score| seen (sign kept).

Pure Python, no storage: the pipeline feeds it readings and writes the rows it hands back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sensor_tui.model.faults import FaultKind
from sensor_tui.model.readings import Reading

DEFAULT_HOLD_OFF = 60
"""Unflagged readings of a tag that close its alarm (a minute at 1 Hz)."""


@dataclass(slots=True)
class Alarm:
    """One fault as the operator sees it: the `alarms` table's row."""

    tag: str
    start: str
    end: str
    peak_score: float | None
    readings: int = 1
    active: bool = True
    kinds: Counter[str] = field(default_factory=Counter)
    quiet: int = 0
    """Unflagged readings of the tag since the last flagged one."""

    @property
    def id(self) -> str:
        """Stable identity, so re-importing the same readings rewrites rather than duplicates."""
        return f"{self.tag}@{self.start}"

    @property
    def kind(self) -> str:
        """The kind most of its readings were flagged with (Counter keeps first-seen order)."""
        return self.kinds.most_common(1)[0][0] if self.kinds else FaultKind.ANOMALY

    def add(self, reading: Reading) -> None:
        """Extend the alarm with one more flagged reading."""
        self.end = reading.timestamp
        self.readings += 1
        self.quiet = 0
        self.kinds[reading.kind or FaultKind.ANOMALY] += 1
        score = reading.score
        if score is not None and (self.peak_score is None or abs(score) > abs(self.peak_score)):
            self.peak_score = score

    def as_row(self) -> dict[str, object]:
        """The row stored in `alarms`."""
        return {
            "id": self.id,
            "tag": self.tag,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "peak_score": self.peak_score,
            "readings": self.readings,
            "active": int(self.active),
        }


class AlarmTracker:
    """Groups flagged readings into alarms per tag; call `feed` with readings in detection order.

    `feed` returns nothing; `take_changed` hands over the alarms opened, extended or closed since
    the last call, for the writer to upsert. Not thread-safe: the pipeline calls it under its
    alarms lock.
    """

    def __init__(self, hold_off: int = DEFAULT_HOLD_OFF) -> None:
        self.hold_off = hold_off
        self._open: dict[str, Alarm] = {}
        self._changed: dict[str, Alarm] = {}

    def feed(self, readings: Iterable[Reading]) -> None:
        """Account for a run of scored readings (unflagged ones only advance open alarms)."""
        open_alarms = self._open
        for reading in readings:
            if reading.is_anomaly:
                self._flagged(reading)
            elif open_alarms and reading.tag in open_alarms:
                self._unflagged(open_alarms[reading.tag])

    def _flagged(self, reading: Reading) -> None:
        alarm = self._open.get(reading.tag)
        if alarm is None:
            alarm = Alarm(reading.tag, reading.timestamp, reading.timestamp, reading.score)
            alarm.kinds[reading.kind or "anomaly"] += 1
            self._open[reading.tag] = alarm
        else:
            alarm.add(reading)
        self._changed[alarm.id] = alarm

    def _unflagged(self, alarm: Alarm) -> None:
        alarm.quiet += 1
        if alarm.quiet >= self.hold_off:
            self._close(alarm)

    def _close(self, alarm: Alarm) -> None:
        alarm.active = False
        del self._open[alarm.tag]
        self._changed[alarm.id] = alarm

    def close_all(self) -> None:
        """Close every open alarm (at shutdown, or at the end of an import's stream)."""
        for alarm in list(self._open.values()):
            self._close(alarm)

    def open_alarms(self) -> list[Alarm]:
        """Alarms still within their hold-off."""
        return list(self._open.values())

    def requeue(self, alarms: Iterable[Alarm]) -> None:
        """Hand alarms back after a failed write, so the next `take_changed` returns them."""
        for alarm in alarms:
            self._changed.setdefault(alarm.id, alarm)

    def take_changed(self) -> list[Alarm]:
        """Alarms changed since the last call (to be written), and forget them."""
        changed, self._changed = list(self._changed.values()), {}
        return changed
