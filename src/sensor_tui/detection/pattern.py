"""Pattern: how novel is the recent sequence of coarse values (a change of shape, not of size).

Experiment record for issue 9 (reverted in the next commit; see docs/detection.md, "Tried and
dropped"). Each reading becomes a coarse symbol (SYMBOLS "q": 6 centred equal-width bins between
the running 2% and 98% quantiles, one below, one above; "mad": bins of one mean absolute
deviation around a running mean). For orders 1..ORDERS the model counts (last k symbols, next
symbol). A reading "violates" when the longest context seen at least CONFIDENT times has never
been followed by this symbol (CAD's idea: a confident prediction broken). CAL "z": the EWMA of
violations, standardised by its long-run mean and spread, through likelihood's quantile tail;
CAL "poisson": the count of violations in the last WINDOW readings against a Poisson tail of the
long-run rate, through the same quantile tail. Settings are module attributes so that a scratch
grid could vary them.
"""

from __future__ import annotations

import math

from sensor_tui.detection.likelihood import decades as _decades
from sensor_tui.detection.likelihood import track as _track

HALF = 3
WIDTH = 1.0
ORDERS = 4
RANGE_RATE = 0.002
MEAN = 0.1
LONG_RATE = 0.0005
WARM = 1000
WINDOW = 10
QUANTILE_BOOST = 0.3
WARM_BOOST = 1.0
SHIFT = 0.0
CAL = "z"
FLOOR = 0.0
ZWARM_BOOST = 4.0
ZBOOST = 0.1
ZLONG = 0.002
CONFIDENT = 8
FAMILIAR = 0
SYMBOLS = "q"
LOW, HIGH = 0.02, 0.98
BINS = 6
HYST = 0.0


class PatternNovelty:
    """Per-tag sequence model; `update` scores one reading in decades of tail probability."""

    __slots__ = (
        "_c",
        "_counts",
        "_dev",
        "_hist",
        "_m",
        "_mean",
        "_n",
        "_prev",
        "_q",
        "_recent",
        "_v",
    )

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._hist = 0
        self._c = 0.0
        self._dev = 0.0
        self._mean = 0.0
        self._m = 0.0
        self._v = 0.0
        self._n = 0
        self._q = [1.0, 2.0, 3.0]
        self._recent: list[int] = []
        self._prev = -1

    def _symbol(self, value: float, n: int) -> int:
        if SYMBOLS == "mad":
            c, dev = self._c, self._dev
            rate = RANGE_RATE * 10.0 if n < WARM else RANGE_RATE
            if n < 100:
                rate = 1.0 / n
            diff = value - c
            ad = diff if diff >= 0.0 else -diff
            self._c = c + rate * diff
            self._dev = dev + rate * (ad - dev)
            if dev <= 0.0:
                return HALF
            x = diff / (dev * WIDTH) + 0.5
            if x < -HALF:
                return 0
            if x >= HALF + 1:
                return 2 * HALF
            return math.floor(x) + HALF
        lo, hi = self._c, self._dev
        span = hi - lo
        step = RANGE_RATE * (span if span > 0.0 else abs(value) * 1e-3 + 1e-9)
        if n < WARM:
            step *= 10.0
        self._c = lo + (step * LOW if value > lo else -step * (1.0 - LOW))
        self._dev = hi + (step * HIGH if value > hi else -step * (1.0 - HIGH))
        if span <= 0.0:
            return 1
        x = (value - lo) / span * BINS + 1.5
        prev = self._prev
        if prev >= 0 and abs(x - prev - 0.5) < 0.5 + HYST:
            return prev  # hysteresis: noise at a bin edge does not move the symbol
        sym = 0 if x < 0.0 else (BINS + 2 if x >= BINS + 2 else int(x))
        self._prev = sym
        return sym

    def update(self, value: float, suspect_at: float) -> float:
        """Decades of tail probability of the recent novelty (0 while warming up); learns."""
        n = self._n = self._n + 1
        if n == 1:
            self._c = self._dev = value
            if SYMBOLS == "mad":
                self._dev = 0.0
            return 0.0
        symbol = self._symbol(value, n)
        radix = 2 * HALF + 1 if SYMBOLS == "mad" else BINS + 3
        hist = self._hist
        counts = self._counts
        mod = 1
        violated = 0.0
        for k in range(1, ORDERS + 1):
            mod *= radix
            if n - 2 < k:
                break
            ctx = (hist % mod) * (radix + 1)
            key_s = (ctx + symbol) * 16 + k
            key_c = (ctx + radix) * 16 + k
            cs = counts.get(key_s, 0)
            cc = counts.get(key_c, 0)
            if k == 1:
                familiar = cs >= FAMILIAR
            elif cc >= CONFIDENT and familiar:
                violated = 1.0 if cs == 0 else 0.0
            counts[key_s] = cs + 1
            counts[key_c] = cc + 1
        self._hist = (hist * radix + symbol) % (radix**ORDERS)
        if CAL == "z":
            mean = self._mean = self._mean + MEAN * (violated - self._mean)
            if n < WARM:
                rate = 1.0 / (n - 1)
                d = mean - self._m
                self._m += rate * d
                self._v += rate * (d * d - self._v)
                if n > WARM // 3 and self._v > 1e-12:
                    _track(self._q, max(0.0, d / math.sqrt(self._v)), ZWARM_BOOST)
                return 0.0
            m, v = self._m, self._v
            dev = mean - m
            s = math.sqrt(v) if v > FLOOR * FLOOR else FLOOR
            s = s if s > 1e-6 else 1e-6
            u = dev / s if dev > 0.0 else 0.0
            out = _decades(u, self._q)
            if out < suspect_at:
                _track(self._q, u, ZBOOST)
                self._m = m + ZLONG * dev
                self._v = v + ZLONG * (dev * dev - v)
            return out - SHIFT
        recent = self._recent
        if violated:
            recent.append(n)
        while recent and recent[0] <= n - WINDOW:
            recent.pop(0)
        if n < WARM // 3:
            return 0.0
        lam = WINDOW * (self._v + 1.0) / (self._m + 1.0)
        u = _poisson_decades(len(recent), lam)
        out = _decades(u, self._q) if n >= WARM else 0.0
        if out < suspect_at:
            _track(self._q, u, QUANTILE_BOOST if n >= WARM else WARM_BOOST)
            keep = 1.0 - LONG_RATE
            self._m = self._m * keep + 1.0
            self._v = self._v * keep + violated
        return out - SHIFT


def _poisson_decades(count: int, lam: float) -> float:
    """-log10 P(X >= count) for X ~ Poisson(lam)."""
    if count <= 0:
        return 0.0
    term = math.exp(-lam)
    below = 0.0
    for i in range(count):
        below += term
        term *= lam / (i + 1)
    tail = 1.0 - below
    if tail < 1e-12:  # sum the tail directly (1 - below loses precision)
        tail = 0.0
        term = math.exp(-lam)
        for i in range(count):
            term *= lam / (i + 1)
        for i in range(count, count + 30):
            tail += term
            term *= lam / (i + 1)
    return -math.log10(tail) if tail > 1e-300 else 300.0
