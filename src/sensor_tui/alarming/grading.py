"""The detector graded live: each injected fault matched to the alarm that caught it.

Ground truth is the `events` table: a fault injected by the operator (key, HTTP, a scenario) is
*detected* when an alarm of the same tag overlaps it, allowing the alarm to start up to
`TOLERANCE` after the fault ended (a detector lags by design); otherwise it is *missed*. An
alarm with no event behind it, injected or a random simulator spike, is *false*. Alarms that
caught a random spike are counted apart: the simulator made them on purpose, but no operator
asked for them. Time to detect is the first matching alarm's start minus the fault's start.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sensor_tui.alarming.health import AlarmFacts
from sensor_tui.model.readings import epoch

TOLERANCE = 60.0
"""Seconds after a fault's end an alarm may still start and count as catching it."""
EARLY = 5.0
"""Seconds before a fault's start an alarm may start (clock rounding of one reading)."""
RANDOM_SOURCES = ("random",)


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault event of a tag, in epoch seconds (end None: still going on)."""

    id: str
    tag: str
    kind: str
    start: float
    end: float | None
    source: str

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Fault:
        """From `storage.alarm_reads.fault_events` (id, tag, kind, start, end, source)."""
        event_id, tag, kind, start, end, source = row
        return cls(event_id, tag, kind, epoch(start), epoch(end) if end else None, source)


@dataclass(slots=True)
class Grade:
    """Detected / missed / false and the median time to detect."""

    injected: int = 0
    detected: int = 0
    missed: int = 0
    pending: int = 0
    """Faults still going on (or within the tolerance) with no alarm yet."""
    false: int = 0
    random_spikes_caught: int = 0
    median_time_to_detect: float | None = None
    missed_faults: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)

    def line(self) -> str:
        """One line for the status bar and the report."""
        ttd = self.median_time_to_detect
        median = "-" if ttd is None else f"{ttd:.0f} s"
        return (
            f"detected {self.detected}/{self.injected} · missed {self.missed} · "
            f"false {self.false} · median time to detect {median}"
        )


class _TagAlarms:
    """One tag's alarms by start. A tag has one alarm open at a time, so ends rise with starts
    and the alarms overlapping a fault are one slice, found by two binary searches."""

    def __init__(self, alarms: list[AlarmFacts]) -> None:
        self.alarms = sorted(alarms, key=lambda a: a.start)
        self.starts = [a.start for a in self.alarms]
        self.ends = list(itertools.accumulate((a.end for a in self.alarms), max))

    def overlapping(self, fault: Fault, now: float) -> list[AlarmFacts]:
        end = fault.end if fault.end is not None else now
        lo = bisect.bisect_left(self.ends, fault.start - EARLY)
        hi = bisect.bisect_right(self.starts, end + TOLERANCE)
        return [a for a in self.alarms[lo:hi] if a.end >= fault.start - EARLY]


def grade(alarms: Sequence[AlarmFacts], faults: Sequence[Fault], now: float) -> Grade:
    """Match faults and alarms of the same tag; see the module docstring for the rules."""
    lists: dict[str, list[AlarmFacts]] = defaultdict(list)
    for alarm in alarms:
        lists[alarm.tag].append(alarm)
    by_tag = {tag: _TagAlarms(tag_alarms) for tag, tag_alarms in lists.items()}
    explained: set[str] = set()
    result = Grade()
    delays, missed = [], []
    for fault in faults:
        tag_alarms = by_tag.get(fault.tag)
        caught = tag_alarms.overlapping(fault, now) if tag_alarms else []
        explained.update(alarm.id for alarm in caught)
        if fault.source in RANDOM_SOURCES:
            result.random_spikes_caught += bool(caught)
            continue
        result.injected += 1
        if caught:
            result.detected += 1
            delays.append(max(0.0, min(a.start for a in caught) - fault.start))
        elif fault.end is not None and now - fault.end > TOLERANCE:
            missed.append(fault.id)
        else:
            result.pending += 1
    result.missed = len(missed)
    result.missed_faults = tuple(missed)
    result.false = sum(1 for alarm in alarms if alarm.id not in explained)
    result.median_time_to_detect = round(statistics.median(delays), 3) if delays else None
    return result
