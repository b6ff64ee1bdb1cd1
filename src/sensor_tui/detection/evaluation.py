"""Event-level scoring of alarms against labelled faults (benchmarks and tests).

Operators judge a detector by its alarms, not by single readings, so scoring is per event: an
alarm that overlaps a labelled fault, or the short grace period after it (a fault's end is often
only noticed when the value jumps back), detects that fault; an alarm that overlaps no labelled
fault of its tag is a false alarm. Timestamps are the canonical fixed-width ISO text, so plain
string comparison orders them; the grace period is added with datetime arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sensor_tui.model.readings import format_ts, parse_ts


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled fault or an alarm: tag, kind and the time span [start, end] it covers."""

    tag: str
    kind: str
    start: str
    end: str


@dataclass(slots=True)
class Score:
    """Event-level figures for one detector on one labelled stream."""

    events: int = 0
    detected: int = 0
    alarms: int = 0
    false_alarms: int = 0
    events_by_kind: Counter[str] = field(default_factory=Counter)
    detected_by_kind: Counter[str] = field(default_factory=Counter)
    kind_correct: int = 0
    """Detected events whose overlapping alarm carries the event's own kind."""
    during: int = 0
    """Detected events with an alarm that began before the fault ended (not only in the grace)."""

    def add(self, other: Score) -> None:
        """Accumulate another stream's figures (several seeds)."""
        self.events += other.events
        self.detected += other.detected
        self.alarms += other.alarms
        self.false_alarms += other.false_alarms
        self.events_by_kind.update(other.events_by_kind)
        self.detected_by_kind.update(other.detected_by_kind)
        self.kind_correct += other.kind_correct
        self.during += other.during

    @property
    def precision(self) -> float:
        """Share of alarms that overlap a labelled fault (1.0 when there are no alarms)."""
        return 1.0 if self.alarms == 0 else (self.alarms - self.false_alarms) / self.alarms

    @property
    def recall(self) -> float:
        """Share of labelled faults with at least one overlapping alarm."""
        return 1.0 if self.events == 0 else self.detected / self.events

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def recall_of(self, kind: str) -> float | None:
        """Recall for one fault kind, None when the stream had none of that kind."""
        total = self.events_by_kind[kind]
        return None if total == 0 else self.detected_by_kind[kind] / total


def _extended(event: Span, grace: timedelta) -> str:
    return format_ts(parse_ts(event.end) + grace)


def score_alarms(events: Sequence[Span], alarms: Iterable[Span], grace: timedelta) -> Score:
    """Match alarms to labelled events of the same tag (see the module docstring)."""
    windows = [(event, event.start, _extended(event, grace)) for event in events]
    score = Score(events=len(events))
    score.events_by_kind.update(event.kind for event in events)
    hits: dict[int, set[str]] = {}
    during: set[int] = set()
    for alarm in alarms:
        score.alarms += 1
        matched = False
        for index, (event, start, end) in enumerate(windows):
            if event.tag == alarm.tag and alarm.start <= end and alarm.end >= start:
                hits.setdefault(index, set()).add(alarm.kind)
                matched = True
                if alarm.start <= event.end:
                    during.add(index)
        if not matched:
            score.false_alarms += 1
    for index, kinds in hits.items():
        event = windows[index][0]
        score.detected += 1
        score.detected_by_kind[event.kind] += 1
        score.kind_correct += event.kind in kinds
    score.during = len(during)
    return score


def alarm_end_lags(events: Sequence[Span], alarms: Sequence[Span], grace: timedelta) -> list[float]:
    """For each detected event, seconds from its end to the end of the last alarm that detected
    it (negative: the alarm ended before the fault did). An alarm that outlives its fault by
    more than the hold-off is the failure this measures."""
    lags = []
    for event in events:
        end = _extended(event, grace)
        hits = [a for a in alarms if a.tag == event.tag and a.start <= end and a.end >= event.start]
        if hits:
            last = max(parse_ts(a.end) for a in hits)
            lags.append((last - parse_ts(event.end)).total_seconds())
    return lags
