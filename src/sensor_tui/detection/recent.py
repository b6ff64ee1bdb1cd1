"""How far a tag strayed lately: a lone outlier no larger than that is not news.

An operator is paged for what the process has not done lately. A counter that burst to 900 a
few hundred readings ago and bursts to 850 now, for one reading, repeats itself: an alarm would
be a nuisance (EEMUA 191's fleeting, repeating alarms), whatever its surprise against the usual
spread; an alarm engineer would give such a tag a deadband of its own recent excursions. So the
detector keeps the range of its spike residual (reading minus fast level) over roughly the last
`RECENT_SPAN` readings, from normal readings and from lone outliers (an outlier whose next
reading is normal again), and an outlier that would open an alarm inside that range is stored
as unusual but not flagged. Its spike tail still learns from it, as from any alarm onset.

What does not enter the range: readings inside an alarm (a step's or a burst's readings are a
fault, not a height the tag may repeat unannounced), and the warm-up's readings (never judged,
never shown). An outlier held back this way is an on-delay of one reading: if the next reading
is flagged too, the excursion goes on (a step, a burst) and is announced then. Measured on NAB
and the simulator in docs/detection.md.

`RecentRange` keeps the range per block of span / BLOCKS readings (two comparisons per reading,
no list of values).
"""

from __future__ import annotations

RECENT_SPAN = 500
"""Readings that make "lately" (350 to 650 measured alike on NAB)."""
RECENT_BELOW = 0.5
"""Decades below the threshold at which such an outlier is stored (unusual, not news)."""
BLOCKS = 5
"""Blocks the span is cut into: the range covers between span * (1 - 1/BLOCKS) and span
readings back."""


class RecentRange:
    """Min and max of about the last `span` readings, kept per block of span / BLOCKS."""

    __slots__ = ("_block", "_count", "_highs", "_lows", "_size", "held", "hi", "lo", "pending")

    def __init__(self, span: int) -> None:
        self._size = max(1, span // BLOCKS)
        self._count = 0
        self._lows: list[float] = []
        self._highs: list[float] = []
        self._block = 0
        self.lo = 1e308
        self.hi = -1e308
        """Range of the current, still open block."""
        self.pending: float | None = None
        """A flagged outlier's residual, kept until the next reading says whether it was lone."""
        self.held = False
        """The last reading was an outlier held back as not news: if this one is flagged too,
        the excursion goes on (a step, a burst) and is announced now, one reading late."""

    def judge(self, residual: float, flagged: bool, onset: bool) -> bool:
        """Whether a reading outside any alarm stays flagged; learns the range on the way.

        Normal readings widen the range; a flagged outlier that opens an alarm (`onset`) within
        the range is not news (returns False, counts as normal) unless the reading after it is
        flagged too (`held`: then that one is announced); one beyond the range is kept until
        the next reading: if that one is not flagged, the outlier was lone and joins the range
        (so a recurring burst is news once); a step or a burst does not.
        """
        pending = self.pending
        if pending is not None:
            self.pending = None
            if not flagged:
                self.add(pending)
        held, self.held = self.held, False
        if not flagged:
            self.add(residual)
            return False
        if held or not onset:
            return True
        if self.within(residual):
            self.add(residual)
            self.held = True
            return False
        self.pending = residual
        return True

    def add(self, value: float) -> None:
        """Account for the next reading (after it has been judged)."""
        if value < self.lo:
            self.lo = value
        if value > self.hi:
            self.hi = value
        self._count += 1
        if self._count < self._size:
            return
        self._count = 0
        if len(self._lows) < BLOCKS - 1:
            self._lows.append(self.lo)
            self._highs.append(self.hi)
        else:
            block = self._block
            self._lows[block] = self.lo
            self._highs[block] = self.hi
            self._block = (block + 1) % (BLOCKS - 1)
        self.lo = 1e308
        self.hi = -1e308

    def within(self, value: float) -> bool:
        """Whether the tag reached at least this far (same side) lately: False until a first
        block is complete."""
        if not self._lows:
            return False
        lo = min(self.lo, min(self._lows))
        hi = max(self.hi, max(self._highs))
        return lo <= value <= hi
