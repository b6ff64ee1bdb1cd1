"""Pattern: how novel is the recent sequence of coarse values (a change of shape, not of size).

The detector's four statistics ask how far one reading is (spike, level), how rough the recent
readings are (noise) and how long one value repeats (stuck). None of them sees a process that
keeps its level and spread but changes its shape: a weekday's rush hours missing on a holiday, a
machine whose cycle loses its rhythm before it fails. Sequence detectors (contextual anomaly
detectors, HTM) see it by learning which short sequences of coarse values follow each other.

Here each reading becomes one of a few coarse symbols: its place between a low and a high running
quantile of the tag's own readings (equal-width bins, plus one symbol below and one above), so a
symbol moves only with a move of a sizable part of the tag's range, never with its noise. For
orders k = 0..`ORDERS` the model counts how often the last k symbols were followed by each symbol
(one dict keyed by ints). A reading's surprise is -log2 of the probability the model gave its
symbol, each order's estimate blended with the one below (a context seen rarely trusts the shorter
one); its short running mean is the raw statistic, calibrated against its own long-run mean and
spread. A pattern never seen before is surprising once; seen again it is learned, so a new normal
is absorbed by itself.
"""

from __future__ import annotations

import math

from sensor_tui.detection.likelihood import decades as _decades
from sensor_tui.detection.likelihood import track as _track

BINS = 6
ORDERS = 3
LOW, HIGH = 0.02, 0.98
RANGE_RATE = 0.002
MEAN = 0.1
BLEND = 1.0
LONG_RATE = 0.002
WARM = 1000
MODE = "q"
QUANTILE_BOOST = 0.1
REST = 0
WARM_BOOST = 4.0
SHIFT = 1.0

_LN10 = math.log(10.0)


def gauss_decades(z: float) -> float:
    """-log10 of the standard normal's upper tail at z (0 for z <= 0)."""
    if z <= 0.0:
        return 0.0
    if z < 5.0:
        return -math.log10(0.5 * math.erfc(z / math.sqrt(2.0)))
    return (0.5 * z * z + math.log(z * math.sqrt(2.0 * math.pi))) / _LN10


class PatternNovelty:
    """Per-tag sequence model; `update` scores one reading in decades of tail probability."""

    __slots__ = ("_counts", "_hi", "_hist", "_lo", "_m", "_mean", "_n", "_q", "_rest", "_v")

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._hist = 0
        self._lo = 0.0
        self._hi = 0.0
        self._mean = 0.0
        self._m = 0.0
        self._v = 0.0
        self._n = 0
        self._q = [1.0, 2.0, 3.0]
        self._rest = 0

    def update(self, value: float, suspect_at: float) -> float:
        """Decades of tail probability of the recent surprise (0 while warming up); learns.
        `suspect_at`: decades from which the reading does not teach the calibration."""
        n = self._n = self._n + 1
        lo, hi = self._lo, self._hi
        if n == 1:
            self._lo = self._hi = value
            return 0.0
        span = hi - lo
        step = RANGE_RATE * (span if span > 0.0 else abs(value) * 1e-3 + 1e-9)
        if n < WARM:
            step *= 10.0
        self._lo = lo + (step * LOW if value > lo else -step * (1.0 - LOW))
        self._hi = hi + (step * HIGH if value > hi else -step * (1.0 - HIGH))
        if span <= 0.0:
            symbol = 1
        else:
            # Centred bins: the tag's extremes (lo, hi) sit mid-bin, never on an edge.
            x = (value - lo) / span * BINS + 1.5
            symbol = 0 if x < 0.0 else (BINS + 2 if x >= BINS + 2 else int(x))
        radix = BINS + 3
        hist = self._hist
        counts = self._counts
        # order 0: key (symbol, 0); context totals: key (ctx, k) with symbol slot = radix
        p = (counts.get(symbol * 16, 0) + 1.0) / (n - 2 + radix)
        counts[symbol * 16] = counts.get(symbol * 16, 0) + 1
        mod = 1
        for k in range(1, ORDERS + 1):
            mod *= radix
            if n - 2 < k:
                break
            ctx = (hist % mod) * (radix + 1)
            key_s = (ctx + symbol) * 16 + k
            key_c = (ctx + radix) * 16 + k
            cs = counts.get(key_s, 0)
            cc = counts.get(key_c, 0)
            p = (cs + BLEND * p) / (cc + BLEND)
            counts[key_s] = cs + 1
            counts[key_c] = cc + 1
        self._hist = (hist * radix + symbol) % (radix**ORDERS)
        surprise = -math.log2(p)
        mean = self._mean = self._mean + MEAN * (surprise - self._mean)
        if n < WARM:
            rate = 1.0 / (n - 1)
            d = self._mean - self._m
            self._m += rate * d
            self._v += rate * (d * d - self._v)
            if n > WARM // 3 and self._v > 1e-12:
                _track(self._q, max(0.0, d / math.sqrt(self._v)), WARM_BOOST)
            return 0.0
        m, v = self._m, self._v
        dev = mean - m
        if MODE == "gauss":
            out = gauss_decades(dev / math.sqrt(v) if v > 1e-12 else 0.0)
        else:
            s = math.sqrt(v) if v > 1e-12 else 1e-6
            u = dev / s if dev > 0.0 else 0.0
            out = _decades(u, self._q)
            if out < suspect_at:
                _track(self._q, u, QUANTILE_BOOST)
        if out < suspect_at:
            self._m = m + LONG_RATE * dev
            self._v = v + LONG_RATE * (dev * dev - v)
        out -= SHIFT
        if n < self._rest:
            return 0.0
        if out >= suspect_at + 1.0:
            self._rest = n + REST
        return out
