"""Min/max binning of a chart's points into columns, before plotext draws them.

Pure numpy (no Textual, no plotext), tested on its own. A chart column can show one vertical
stroke, so drawing more points than columns only costs time: each column-wide bin keeps its
lowest and highest value, in the order they came, and a one-reading spike therefore always
survives as the bin's extreme. A gap in time longer than `MAX_GAP` of the window splits the line,
so missing data stays visible as a hole instead of a straight join.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_GAP = 0.05
"""A gap in time longer than this share of the window is left open: missing data stays visible."""


def _empty() -> np.ndarray:
    return np.empty(0)


@dataclass(slots=True)
class Binned:
    """The line as runs of (time, value) points, plus each bin's extremes for clipping marks."""

    runs: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    """Consecutive points plotext joins into one line; a gap starts a new run."""
    centres: np.ndarray = field(default_factory=_empty)
    """Time at the middle of each bin holding data."""
    lows: np.ndarray = field(default_factory=_empty)
    """Lowest value of each bin holding data."""
    highs: np.ndarray = field(default_factory=_empty)
    """Highest value of each bin holding data."""

    @property
    def points(self) -> int:
        """Points handed to plotext (at most two a bin)."""
        return sum(len(t) for t, _ in self.runs)


def min_max_bins(
    times: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
    since: float,
    until: float,
    bins: int,
) -> Binned:
    """Bin the points of [since, until] into `bins` equal spans of time.

    Each bin gives its low and its high at the bin's middle (low first when the low came first),
    so the line draws the bin's whole range as one vertical stroke. Raw readings have
    lows == highs; rollups give each bucket's min and max.
    """
    keep = (times >= since) & (times <= until)
    times, lows, highs = times[keep], lows[keep], highs[keep]
    if not len(times):
        return Binned()
    bins = max(bins, 1)
    width = max(until - since, 1e-9) / bins
    index = np.minimum(((times - since) / width).astype(np.int64), bins - 1)
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    used = index[starts]
    low = np.minimum.reduceat(lows, starts)
    high = np.maximum.reduceat(highs, starts)
    low_first = _low_comes_first(lows, highs, starts, low, high)
    centres = since + (used + 0.5) * width
    first = np.where(low_first, low, high)
    second = np.where(low_first, high, low)
    point_t = np.repeat(centres, 2)
    point_v = np.column_stack((first, second)).ravel()
    single = low == high  # one value in the bin: one point, not two on top of each other
    keep_point = np.ones(len(point_t), dtype=bool)
    keep_point[1::2] = ~single
    gap = max(MAX_GAP * (until - since), 2 * width)
    breaks = np.flatnonzero(np.diff(centres) > gap) + 1
    cuts = np.searchsorted(np.flatnonzero(keep_point), 2 * breaks)
    point_t, point_v = point_t[keep_point], point_v[keep_point]
    runs = list(zip(np.split(point_t, cuts), np.split(point_v, cuts), strict=True))
    return Binned(runs=runs, centres=centres, lows=low, highs=high)


def _low_comes_first(
    lows: np.ndarray, highs: np.ndarray, starts: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Per bin: does its lowest value come before its highest (so the stroke keeps time order)?"""
    index = np.arange(len(lows))
    bin_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(lows)]))
    first_low = np.minimum.reduceat(np.where(lows == low[bin_of], index, len(lows)), starts)
    first_high = np.minimum.reduceat(np.where(highs == high[bin_of], index, len(lows)), starts)
    return first_low <= first_high
