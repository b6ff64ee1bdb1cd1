"""Gaps in a tag's timestamps: after one, the level may be re-learned instead of alarmed on.

When the monitor restarts (or a source reconnects) after minutes away, the process has moved on
meanwhile: a fermenter resuming 1.5 °C lower, well inside its band, is not a step that happened
between two readings. Judged against the level before the gap it reads as a step, and that step
never ends, because the process stays where it now is. So the detector asks, for each reading,
whether a gap came before it: a pause longer than `GAP` times the tag's usual interval between
readings (learned from its own timestamps, so a 1 s and a 5 min stream are alike), on a tag whose
readings come regularly (their intervals' usual spread under `REGULAR` of the interval). A
stream whose readings come when something happens (traffic counts, event logs) pauses as a
matter of course: its pauses are not restarts. The detector then re-learns the level from the
reading if it is inside the tag's normal band (outside it, the band is the operator's own limit
and the reading is judged as usual).

Cheap on purpose (the detector's hot path): timestamps are the canonical ISO text
(`2026-01-05T10:15:00.000000Z`), which orders as text; one reading in `GAP` is parsed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

GAP = 5.0
"""A pause of more than this many usual intervals is a gap (a restart, a lost connection)."""
REGULAR = 0.2
"""Usual spread of the intervals, relative to the usual interval, under which readings come
regularly (a polled or simulated sensor) and a pause can be a gap."""
LEARN = 0.05
"""Weight of a new mean interval (one per `GAP` readings) in the usual one and its spread."""
RELEARN = 20
"""Readings after a gap during which the level statistic is off and the reference follows the
fast level (one reading is one noise draw, not yet a level)."""


_DAYS: dict[str, float] = {}
"""Seconds at the start of each day seen (a stream parses the same day thousands of times)."""
_MIDNIGHTS: dict[int, datetime] = {}
"""Midnight of each day ordinal seen, for the next expected time."""


def _seconds(timestamp: str) -> float:
    """Seconds since 0001-01-01 of a canonical timestamp (ValueError if it is not one)."""
    day = timestamp[:10]
    start = _DAYS.get(day)
    if start is None:
        start = date.fromisoformat(day).toordinal() * 86400.0
        if len(_DAYS) > 100_000:  # a bound, for a process that runs for centuries of data
            _DAYS.clear()
        _DAYS[day] = start
    return (
        start + int(timestamp[11:13]) * 3600 + int(timestamp[14:16]) * 60 + float(timestamp[17:-1])
    )


def _midnight(ordinal: int) -> datetime:
    moment = _MIDNIGHTS.get(ordinal)
    if moment is None:
        if len(_MIDNIGHTS) > 100_000:
            _MIDNIGHTS.clear()
        moment = _MIDNIGHTS[ordinal] = datetime.fromordinal(ordinal)
    return moment


class GapWatch:
    """The tag's usual interval between readings, and whether the latest reading follows a gap.

    Most readings cost one string comparison: a timestamp no later than `_expect` (the last
    parsed time plus `GAP` usual intervals, as canonical text) cannot follow a gap. Later ones
    are parsed, with the reading before them: the pause between the two decides.
    """

    __slots__ = ("_count", "_expect", "_prev", "_seconds", "_spread", "_usual")

    def __init__(self) -> None:
        self._prev = ""
        self._expect = ""
        self._seconds = -1.0
        self._count = 0
        self._usual = 0.0
        self._spread = 1.0

    def after_gap(self, timestamp: str) -> bool:
        """Account for the next reading's timestamp; True when a gap came before it."""
        prev, self._prev = self._prev, timestamp
        self._count += 1
        if timestamp <= self._expect:
            return False
        try:
            seconds = _seconds(timestamp)
            before = _seconds(prev) if prev else -1.0
        except ValueError:
            return False
        last, count = self._seconds, self._count
        self._seconds, self._count = seconds, 0
        usual = self._usual
        gap = (
            before >= 0.0
            and usual > 0.0
            and seconds - before > GAP * usual
            and self._spread < REGULAR
        )
        if last >= 0.0 and seconds > last and not gap:
            interval = (seconds - last) / count
            if not usual:
                usual = interval
            else:  # the mean interval since the last parse, and how far it strays
                off = interval - usual if interval >= usual else usual - interval
                self._spread += LEARN * (off / usual - self._spread)
                usual += LEARN * (interval - usual)
            self._usual = usual
        if usual > 0.0:
            moment = _midnight(int(seconds // 86400.0)) + timedelta(
                seconds=seconds % 86400.0 + GAP * usual
            )
            self._expect = moment.isoformat(timespec="microseconds") + "Z"
        return gap
