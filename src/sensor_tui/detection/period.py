"""A tag's own period, learned from its history: the reading against the same phase of past periods.

The daily profile (`sensor_tui.detection.seasonal`) judges a reading against its time of day, and
the adaptive statistics against the last few readings. Neither sees an anomaly that is only a
break of the usual shape over a longer span: a weekly pattern broken by a holiday, a daily cycle
that flattens, a day that runs high all along. A process that repeats says what its value should
be now: what it was one period ago, and two, and three.

The period is not assumed from timestamps: it is the strongest peak of the autocorrelation of the
tag's own recent readings (a bounded buffer, linear trend removed, computed with one FFT every
`EVERY` readings, so its cost is amortised to a fraction of a microsecond per reading). A tag
whose readings do not repeat (the peak below `STRONG`) has no period and this statistic stays 0.

The statistic: a short mean of the readings (`SMOOTH`, a few readings, so that one noisy reading
is not a broken pattern) against the median of the same mean one, two and three periods ago (one
odd period, a past holiday, is outvoted), over its usual size; its tail is calibrated like the
adaptive detector's statistics (`sensor_tui.detection.likelihood`). Counted in readings, so a
1 s and a 5 min stream behave alike (irregular sampling blurs the phase; the learned scale
absorbs that).
"""

from __future__ import annotations

from array import array

import numpy as np

from sensor_tui.detection.likelihood import PRIORS
from sensor_tui.detection.likelihood import decades as _decades
from sensor_tui.detection.likelihood import track as _track

CAPACITY = 4096
"""Readings kept: a period must repeat three times in them, so periods up to 1,365 (a day of
5-minute readings, a week of 30-minute ones)."""
FIRST = 1024
"""Readings before the first search for a period."""
EVERY = 2048
"""Readings between two later searches (the search's cost, about 1 ms, is shared by them)."""
MIN_LAG = 24
"""Shortest period searched: shorter repeats are the adaptive detector's noise."""
STRONG = 0.5
"""Autocorrelation at the period below which the tag is said to have none."""
PROMINENCE = 0.3
"""Rise of the autocorrelation from its lowest point at shorter lags to the period's peak."""
SMOOTH = 0.1
"""Weight of a reading in the short mean compared across periods (about ten readings)."""
LEARN = 0.005
"""Weight of a residual in its scale (a window of about 200 readings)."""
CLIP = 3.0
"""A residual enters its scale clipped at this many times the scale."""
FINEST = 1e-3
"""Smallest scale of the residual, as a share of the tag's spread (see `_calibrate`)."""
BOOST = 0.1
"""Relative learning rate of the tail's quantiles (the residual is smoothed: it moves in runs)."""


def find_period(values: np.ndarray) -> tuple[int, float]:
    """The lag of the strongest autocorrelation peak between MIN_LAG and a third of the
    readings (three periods must fit), and its autocorrelation; (0, 0.0) without one."""
    n = len(values)
    top = n // 3
    if top <= MIN_LAG + 2:
        return 0, 0.0
    t = np.arange(n, dtype=float) - 0.5 * (n - 1)
    mean = values.mean()
    x = values - mean
    x = x - t * (float(t @ x) / float(t @ t))  # the linear trend removed
    size = 1 << int(2 * n - 1).bit_length()
    spectrum = np.fft.rfft(x, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: top + 2]
    if acf[0] <= 0.0:
        return 0, 0.0
    acf = acf / acf[0]
    inner = acf[MIN_LAG : top + 1]
    peaks = (inner > acf[MIN_LAG - 1 : top]) & (inner >= acf[MIN_LAG + 1 : top + 2])
    if not peaks.any():
        return 0, 0.0
    lags = np.nonzero(peaks)[0] + MIN_LAG
    # A period's peak stands out of the trough before it (a slow wander's autocorrelation is
    # high at every short lag, and its ripples are no period).
    troughs = np.minimum.accumulate(acf[: top + 1])[lags]
    lags = lags[acf[lags] - troughs >= PROMINENCE]
    if not len(lags):
        return 0, 0.0
    best = int(lags[np.argmax(acf[lags])])
    # The peak of a square wave is flat, and the trend removed tilts it: place the period at
    # the lag near the peak where the readings repeat best (least mean absolute difference).
    width = max(1, best // 50)
    near = range(max(MIN_LAG, best - width), min(top, best + width) + 1)
    best = min(near, key=lambda lag: float(np.abs(values[lag:] - values[:-lag]).mean()))
    return best, float(acf[best])


def residuals(values: np.ndarray, period: int) -> np.ndarray:
    """The statistic's residual (see `PeriodModel.decades`) at every reading of `values` that
    has three past periods behind it: to calibrate a new period from the history at once."""
    n = len(values)
    t = np.arange(3 * period + 1, n)
    past = np.stack([values[t - k * period] for k in (1, 2, 3)])
    return np.abs(values[t] - past).min(axis=0)


class PeriodModel:
    """The learned period of one tag and the surprise of a reading against it (in decades)."""

    __slots__ = ("_buf", "_n", "_period", "_q", "_scale", "_smooth", "_u")

    def __init__(self) -> None:
        self._buf = array("d", bytes(8 * CAPACITY))
        self._n = 0
        self._period = 0
        self._smooth = 0.0
        self._scale = 0.0
        self._u = 0.0
        self._q = list(PRIORS)

    @property
    def period(self) -> int:
        """The learned period in readings (0: none)."""
        return self._period

    def decades(self, value: float) -> float:
        """Decades of tail probability of this reading against its phase in past periods."""
        n = self._n
        s = self._smooth = value if n == 0 else self._smooth + SMOOTH * (value - self._smooth)
        buf = self._buf
        buf[n % CAPACITY] = s
        n = self._n = n + 1
        if n == FIRST or n % EVERY == 0:
            self._search()
        p = self._period
        if not p:
            return 0.0
        # the closest of the three past periods at this phase: a pattern is broken when the
        # reading is like none of them (one odd period, a past anomaly, is outvoted)
        a = s - buf[(n - 1 - p) % CAPACITY]
        b = s - buf[(n - 1 - 2 * p) % CAPACITY]
        c = s - buf[(n - 1 - 3 * p) % CAPACITY]
        a = a if a >= 0.0 else -a
        b = b if b >= 0.0 else -b
        c = c if c >= 0.0 else -c
        r = a if a < b else b
        r = r if r < c else c
        self._u = r
        return _decades(r / self._scale, self._q)

    def learn(self) -> None:
        """Learn the scale and the tail from this reading (the caller found it normal)."""
        if not self._period:
            return
        u = self._u
        scale = self._scale
        limit = CLIP * scale
        self._scale = scale + LEARN * ((u if u < limit else limit) - scale)
        _track(self._q, u / scale, BOOST)

    def _search(self) -> None:
        """Find the period again from the buffer (oldest first); a new one is calibrated on
        the residuals it would have had over the buffer."""
        n = self._n
        buf = np.frombuffer(self._buf, dtype=float)
        if n < CAPACITY:
            values = buf[:n].copy()
        else:
            start = n % CAPACITY
            values = np.concatenate((buf[start:], buf[:start]))
        lag, strength = find_period(values)
        if strength < STRONG:
            lag = 0
        if lag == self._period or (
            lag and self._period and abs(lag - self._period) <= max(2, lag // 50)
        ):
            return  # the same period (perhaps measured a reading off): keep what was learned
        self._period = lag
        if lag:
            self._calibrate(residuals(values, lag), float(values.std()))

    def _calibrate(self, u: np.ndarray, spread: float) -> None:
        """Scale and tail of a new period's statistic from the history it was found in. A tag
        that repeats exactly (a generated signal) is never judged finer than `FINEST` of its
        spread: a rounding is not a broken pattern."""
        scale = float(u.mean()) if len(u) else 0.0
        if scale < FINEST * spread:
            scale = FINEST * spread
        if scale <= 0.0:
            self._period = 0
            return
        self._scale = scale
        q = np.quantile(u / scale, (0.9, 0.99, 0.999))
        self._q = [float(x) for x in q]
