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

Cheap on purpose (the detector's hot path): timestamps are the canonical ISO text; within one
minute the interval is read from the seconds field, and a full parse happens once a minute.
"""

from __future__ import annotations

from datetime import datetime

GAP = 5.0
"""A pause of more than this many usual intervals is a gap (a restart, a lost connection)."""
REGULAR = 0.2
"""Usual spread of the intervals, relative to the usual interval, under which readings come
regularly (a polled or simulated sensor) and a pause can be a gap."""
LEARN = 0.02
"""Weight of a new interval in the usual interval and its spread (about fifty readings)."""
RELEARN = 20
"""Readings after a gap during which the level statistic is off and the reference follows the
fast level (one reading is one noise draw, not yet a level)."""


class GapWatch:
    """The tag's usual interval between readings, and whether the latest reading follows a gap."""

    __slots__ = ("_minute", "_minute_at", "_seconds", "_spread", "_usual")

    def __init__(self) -> None:
        self._minute = ""
        self._minute_at = 0.0
        self._seconds = -1.0
        self._usual = 0.0
        self._spread = 1.0

    def after_gap(self, timestamp: str) -> bool:
        """Account for the next reading's timestamp; True when a gap came before it."""
        minute = timestamp[:16]
        try:
            if minute == self._minute:
                seconds = self._minute_at + float(timestamp[17:-1])
            else:
                seconds = datetime.fromisoformat(timestamp).timestamp()
                self._minute = minute
                self._minute_at = seconds - float(timestamp[17:-1])
        except ValueError:
            return False
        last, self._seconds = self._seconds, seconds
        interval = seconds - last
        if last < 0.0 or interval <= 0.0:
            return False
        usual = self._usual
        if not usual:
            self._usual = interval
            return False
        if interval > GAP * usual and self._spread < REGULAR:
            return True
        self._usual = usual + LEARN * (interval - usual)
        off = interval - usual if interval >= usual else usual - interval
        self._spread += LEARN * (off / usual - self._spread)
        return False
