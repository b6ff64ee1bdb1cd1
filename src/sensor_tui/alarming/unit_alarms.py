"""Unit alarms: a unit's flagged observations become one alarm per fault episode.

Like a tag's alarm (`detection.alarms`), an episode opens at the first flagged observation and
ends once `hold_off` observations in a row were not flagged, so a fault that the statistic crosses
in and out of stays one alarm. The row is an `alarms` row (its `tag` is the unit's name), so it
goes through the same life cycle: acknowledge, shelve, journal, HTTP, notification.

What a unit alarm adds is *which tags* moved the statistic: the shares the detector gave each
flagged observation, averaged over the episode, stored as JSON in `contributions`. The operator
reads "fermenter_ph 74%" and knows where to look first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sensor_tui.detection.unit_base import UnitVerdict
from sensor_tui.model.faults import FaultKind

UNIT_HOLD_OFF = 30
"""Unflagged observations that end a unit alarm: half a minute at 1 Hz, 90 minutes for a unit
sampled every 3 minutes (the Tennessee Eastman plant), in both cases long enough that a fault
the statistic crosses in and out of is one alarm."""


@dataclass(slots=True)
class UnitAlarm:
    """One unit fault episode as the operator sees it."""

    unit: str
    tags: tuple[str, ...]
    start: str
    end: str
    peak: float = 0.0
    """Largest statistic in units of its limit (1.0 is the limit)."""
    peak_statistic: float = 0.0
    statistic_now: float = 0.0
    observations: int = 0
    active: bool = True
    quiet: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    shares: dict[str, float] = field(default_factory=dict)
    """Sum over flagged observations of each tag's share."""

    @property
    def id(self) -> str:
        """Stable identity, as a tag alarm's: the same import rewrites rather than duplicates."""
        return f"{self.unit}@{self.start}"

    def add(self, timestamp: str, verdict: UnitVerdict) -> None:
        """Extend the episode with one flagged observation."""
        self.end, self.quiet = timestamp, 0
        self.observations += 1
        self.kinds[verdict.kind or "relation"] += 1
        ratio = verdict.statistic / verdict.limit if verdict.limit > 0 else 0.0
        if ratio > self.peak:
            self.peak, self.peak_statistic = ratio, verdict.statistic
        for tag, share in verdict.contributions.items():
            self.shares[tag] = self.shares.get(tag, 0.0) + float(share)

    def contributions(self) -> dict[str, float]:
        """Each tag's share of the episode's statistic, largest first, summing to 1."""
        total = sum(self.shares.values())
        if total <= 0:
            return {}
        ranked = sorted(self.shares.items(), key=lambda item: -item[1])
        return {tag: round(share / total, 3) for tag, share in ranked}

    def as_row(self) -> dict[str, Any]:
        """The `alarms` row; `deviation` is how far past its limit the statistic went (in
        limits), which the priority reads as a tag's distance past its band."""
        return {
            "id": self.id,
            "tag": self.unit,
            "kind": self.kinds.most_common(1)[0][0] if self.kinds else FaultKind.RELATION,
            "start": self.start,
            "end": self.end,
            "peak_score": round(self.peak, 4),
            "readings": self.observations,
            "active": int(self.active),
            "peak_value": round(self.peak_statistic, 6),
            "last_value": round(self.statistic_now, 6),
            "deviation": round(max(0.0, self.peak - 1.0), 4),
            "source": "unit",
            "contributions": json.dumps(self.contributions()),
            "origin_tags": self.tags,
        }


class UnitAlarmTracker:
    """Groups one unit's verdicts into episodes; feed observations in time order."""

    def __init__(self, unit: str, tags: tuple[str, ...], hold_off: int = UNIT_HOLD_OFF) -> None:
        self.unit, self.tags, self.hold_off = unit, tags, hold_off
        self.open: UnitAlarm | None = None
        self._changed: dict[str, UnitAlarm] = {}

    def feed(self, timestamp: str, verdict: UnitVerdict) -> None:
        """Account for one judged observation."""
        alarm = self.open
        if verdict.is_anomaly:
            if alarm is None:
                alarm = self.open = UnitAlarm(self.unit, self.tags, timestamp, timestamp)
            alarm.add(timestamp, verdict)
        elif alarm is not None:
            alarm.quiet += 1
            if alarm.quiet >= self.hold_off:
                self.close()
                return
        else:
            return
        alarm.statistic_now = verdict.statistic
        self._changed[alarm.id] = alarm

    def close(self) -> None:
        """End the open episode (its hold-off passed, or the monitor stops)."""
        if self.open is not None:
            self.open.active = False
            self._changed[self.open.id] = self.open
            self.open = None

    def take_rows(self) -> list[dict[str, Any]]:
        """Rows of the episodes changed since the last call."""
        rows = [alarm.as_row() for alarm in self._changed.values()]
        self._changed.clear()
        return rows


def contributions_text(value: Mapping[str, float] | str | None, top: int = 3) -> str:
    """ "fermenter_ph 74%, fermenter_temp 20%": the leading tags of a unit alarm ("" for a tag's
    alarm). Takes the stored JSON or the decoded object."""
    shares: Mapping[str, float] = json.loads(value) if isinstance(value, str) else value or {}
    if not shares:
        return ""
    ranked = sorted(shares.items(), key=lambda item: -item[1])[:top]
    return ", ".join(f"{tag} {share:.0%}" for tag, share in ranked)
