"""Alarm system health (EEMUA 191, ISA-18.2 section 16): the KPIs an alarm rationalisation
starts from, computed from the `alarms` table alone.

- alarms per 10 minutes, average and peak (EEMUA: about 1 per 10 minutes is manageable);
- floods: 10-minute periods with more than 10 alarms;
- chattering: the same tag and kind alarming 3 times or more within a minute;
- stale: active for more than 24 hours;
- bad actors: the tags and kinds that raise the most alarms.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sensor_tui.alarming import states
from sensor_tui.model.readings import epoch

BUCKET = 600.0
"""Ten minutes, the EEMUA 191 rate period."""
FLOOD_ALARMS = 10
"""More than this many alarms in a period is a flood."""
CHATTER_ALARMS, CHATTER_SECONDS = 3, 60.0
STALE_SECONDS = 24 * 3600.0
TOP_BAD_ACTORS = 10


@dataclass(frozen=True, slots=True)
class AlarmFacts:
    """What the KPIs need of one alarm row."""

    id: str
    tag: str
    kind: str
    start: float
    end: float
    active: bool
    state: str
    origin: str | None
    source: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> AlarmFacts:
        """From `storage.alarm_reads.report_rows` (id, tag, kind, start, end, active, ...)."""
        alarm_id, tag, kind, start, end, active, state, origin, source = row
        return cls(
            alarm_id, tag, kind, epoch(start), epoch(end), bool(active), state, origin, source
        )


@dataclass(slots=True)
class Health:
    """The KPIs of a set of alarms; `as_dict` is what `alarms report --json` prints."""

    alarms: int = 0
    periods: int = 0
    per_10min_avg: float = 0.0
    per_10min_peak: int = 0
    floods: int = 0
    flood_share: float = 0.0
    """Share of the 10-minute periods that were floods."""
    chattering: list[dict[str, Any]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    bad_actors: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def health(alarms: Sequence[AlarmFacts], now: float, since: float | None = None) -> Health:
    """Compute every KPI of `alarms` (sorted by start) as of `now`.

    The rate counts ten-minute periods from `since` to now (quiet ones included: a monitor
    that ran an hour with 6 alarms had 1 per 10 minutes), or, for a whole database, from the
    first alarm to the last one's end (a file made last year is not averaged over the year
    since).
    """
    result = Health(alarms=len(alarms))
    result.states = dict(Counter(alarm.state for alarm in alarms))
    if not alarms:
        return result
    buckets = Counter(int(alarm.start // BUCKET) for alarm in alarms)
    if since is not None:
        first, last = int(since // BUCKET), int(now // BUCKET)
    else:
        first, last = min(buckets), int(max(alarm.end for alarm in alarms) // BUCKET)
    first, last = min(first, min(buckets)), max(last, max(buckets))
    result.periods = last - first + 1
    result.per_10min_avg = round(len(alarms) / result.periods, 3)
    result.per_10min_peak = max(buckets.values())
    result.floods = sum(1 for n in buckets.values() if n > FLOOD_ALARMS)
    result.flood_share = round(result.floods / result.periods, 4)
    result.chattering = chattering(alarms)
    result.stale = [
        alarm.id
        for alarm in alarms
        if alarm.state in states.ACTIVE_STATES or (alarm.active and alarm.state == states.SHELVED)
        if now - alarm.start > STALE_SECONDS
    ]
    actors = Counter((alarm.tag, alarm.kind) for alarm in alarms)
    result.bad_actors = [
        {"tag": tag, "kind": kind, "alarms": n, "share": round(n / len(alarms), 4)}
        for (tag, kind), n in actors.most_common(TOP_BAD_ACTORS)
    ]
    return result


def chattering(alarms: Sequence[AlarmFacts]) -> list[dict[str, Any]]:
    """Tag and kind pairs that alarmed CHATTER_ALARMS times within CHATTER_SECONDS, with the
    most alarms seen in any such minute, worst first."""
    starts: dict[tuple[str, str], list[float]] = defaultdict(list)
    for alarm in alarms:
        starts[alarm.tag, alarm.kind].append(alarm.start)
    found: list[dict[str, Any]] = []
    for (tag, kind), times in starts.items():
        times.sort()
        worst, lo = 0, 0
        for hi, moment in enumerate(times):
            while moment - times[lo] > CHATTER_SECONDS:
                lo += 1
            worst = max(worst, hi - lo + 1)
        if worst >= CHATTER_ALARMS:
            found.append({"tag": tag, "kind": kind, "alarms": len(times), "max_per_minute": worst})
    found.sort(key=lambda item: (-item["max_per_minute"], -item["alarms"]))
    return found
