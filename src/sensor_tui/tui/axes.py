"""Chart scales: the y range an operator can read, round ticks, clock-time x ticks.

Pure value computations (no Textual, no drawing: plotext draws), tested on their own. The y range
follows normal operation and the normal band, from robust percentiles of the values in view, so
one spike cannot flatten a day of normal readings into one text row; what falls outside is
clipped and marked at the edge with ▲/▼. Ticks are chosen on rows of their own, so a label always
names its row.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

TICK_STEPS = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800,
)  # fmt: skip
"""Seconds between x ticks, all aligned to UTC (a 6 h tick falls on 00:00, 06:00, ...)."""
LOW_PCT, HIGH_PCT = 1.0, 99.0
"""Percentiles of the values in view that bound the y range (with the normal band)."""


def y_range(
    lows: Sequence[float] | np.ndarray,
    highs: Sequence[float] | np.ndarray,
    limits: Sequence[float],
) -> tuple[float, float]:
    """The values the chart spans: its limits (the normal band's two, or a single limit) and
    the 1st..99th percentiles of the values in view, with a margin."""
    lo, hi = (min(limits), max(limits)) if len(limits) else (math.inf, -math.inf)
    if len(lows):
        lo = min(lo, float(np.percentile(lows, LOW_PCT)))
        hi = max(hi, float(np.percentile(highs, HIGH_PCT)))
    if not math.isfinite(lo) or not math.isfinite(hi):
        lo, hi = 0.0, 1.0
    margin = (hi - lo) * 0.08 or max(abs(hi) * 0.1, 1.0)
    return lo - margin, hi + margin


def nice_step(span: float, count: int) -> float:
    """A 1-2-5 step giving about `count` intervals over `span`."""
    raw = span / max(count, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def format_tick(value: float, step: float) -> str:
    """A tick label with just the decimals the step needs (0.5 -> '7.5', 50 -> '450')."""
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    text = f"{value:.{decimals}f}"
    return "0" if text in ("-0", "-0.0", "-0.00") else text


def format_band(value: float) -> str:
    """A band limit as configured (7.2, 300, 36.5)."""
    return f"{value:g}"


class YScale:
    """Which text row a value falls on in a plot area `rows` tall, as plotext places it (the
    top row is `hi`, the bottom row `lo`), so labels can be kept on rows of their own."""

    def __init__(self, lo: float, hi: float, rows: int) -> None:
        self.lo, self.hi, self.rows = lo, hi, max(rows, 1)

    def row(self, value: float) -> int:
        """Text row a value is drawn on (0 = top), clipped to the area."""
        span = self.hi - self.lo or 1.0
        position = round((self.hi - value) / span * (self.rows - 1))
        return min(max(position, 0), self.rows - 1)

    def ticks(self, limits: Sequence[float]) -> list[tuple[float, str]]:
        """(value, label) of the y ticks: the limits (a band's two, or one) on their own rows,
        then round values on free rows (never on a row next to another label, so labels stay
        apart and each names the row it is on)."""
        taken: dict[int, tuple[float, str]] = {}
        for value in limits:
            if self.lo <= value <= self.hi:
                taken.setdefault(self.row(value), (value, format_band(value)))
        step = nice_step(self.hi - self.lo, max(self.rows // 2, 1))
        for k in range(math.ceil(self.lo / step), math.floor(self.hi / step) + 1):
            value = k * step
            row = self.row(value)
            if all(abs(row - other) > 1 for other in taken):
                taken[row] = (value, format_tick(value, step))
        return [taken[row] for row in sorted(taken)]


def x_ticks(since: float, until: float, columns: int) -> list[tuple[float, str]]:
    """(epoch, label) ticks at round UTC times; labels carry the date when the span crosses a
    day (or the ticks are days apart), else only the clock time."""
    span = max(until - since, 1e-9)
    crosses = time.gmtime(since)[:3] != time.gmtime(until)[:3]
    step = TICK_STEPS[-1]
    fmt = "%d %b"
    for candidate in TICK_STEPS:
        fmt = _tick_format(candidate, crosses)
        width = len(time.strftime(fmt, time.gmtime(0))) + 3
        if span / candidate * width <= columns:
            step = candidate
            break
    first = math.ceil(since / step) * step
    return [(t, time.strftime(fmt, time.gmtime(t))) for t in np.arange(first, until + 1e-9, step)]


def _tick_format(step: int, crosses: bool) -> str:
    if step >= 86400:
        return "%d %b"
    clock = "%H:%M:%S" if step < 60 else "%H:%M"
    return f"%d %b {clock}" if crosses else clock


def clock(epoch: float, with_date: bool = True) -> str:
    """A moment as the status line and titles show it (UTC, like the database)."""
    return time.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S", time.gmtime(epoch))
