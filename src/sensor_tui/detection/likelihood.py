"""Calibration: a raw statistic turned into an anomaly likelihood in [0, 1].

A raw statistic (a residual over its scale, a ratio of spreads) means different things on
different tags: a sensor that blips by one count every twenty readings, a noisy flow, a smooth
temperature. What is comparable across tags and kinds is how rare a value of the statistic is
*for this tag*. So each statistic keeps three running quantiles of its own recent values (the 90th,
the 99th and the 99.9th percentile, tracked online with a Robbins-Monro step), and the tail
beyond them is extrapolated as exponential: P(u > q90) = 0.1, P(u > q99) = 0.01, and one more
decade per (q999 - q99) beyond. An exponential tail is conservative for Gaussian noise (whose
tail falls faster) and honest for heavy-tailed data, whose 99.9th percentile sits far out and so
widens the decade. The trackers learn from normal readings and from the first few readings of
each alarm episode (the caller decides): a burst that comes back every day becomes expected, a
long fault cannot teach its own level.

The score keeps the order of the tail probability without ever rounding to 1: s = 1 -
tail^(1/10), a monotone map of Numenta's log-likelihood -log10(tail) / 10 that does not saturate
(extreme readings still rank). 0.5 is a tail of 10^-3, 0.7 of 10^-5.2, 0.9 of 10^-10.
"""

from __future__ import annotations

import math

QRATE = 0.02
"""Relative step of the quantile trackers: 2% up per exceedance of a quantile."""

LOG_SCALE = 10.0
"""Decades of tail probability per factor of 10 in (1 - score)."""

PRIORS = (2.06, 3.23, 4.12)
"""Starting 90th, 99th and 99.9th percentiles of |residual| / mean |residual| (normal noise)."""


def decades(u: float, q: list[float]) -> float:
    """-log10 of the tail probability of u, from the tracked 90th, 99th and 99.9th percentiles
    (see `sensor_tui.detection.likelihood`); compressed above 30 decades so that a score never
    rounds to exactly 1.0 and extreme readings still rank."""
    q90, q99, q999 = q
    if u <= q90:
        return u / q90 if q90 > 0.0 else 0.0
    if u <= q99:
        gap = q99 - q90
        return 1.0 + (u - q90) / (gap if gap > 1e-9 else 1e-9)
    # One decade per (q999 - q99), but never steeper than the decade below q99: a tail that
    # thins faster than exponential is not trusted (too few readings to see it).
    gap = q999 - q99
    below = q99 - q90
    gap = gap if gap > below else below
    d = 2.0 + (u - q99) / (gap if gap > 1e-9 else 1e-9)
    return d if d < 30.0 else 30.0 + 10.0 * math.log10(d / 30.0)


def track(q: list[float], u: float, boost: float = 1.0) -> None:
    """Robbins-Monro steps of the three quantile trackers (relative steps, see likelihood)."""
    step = QRATE * boost
    q90, q99, q999 = q
    s = step * (q90 + 0.1)
    q[0] = q90 + s * 0.9 if u > q90 else q90 - s * 0.1
    s = step * (q99 + 0.1)
    q[1] = q99 + s * 0.99 if u > q99 else q99 - s * 0.01
    s = step * (q999 + 0.1) * 0.25  # the 1-in-1000 quantile: slower, else it jitters
    q[2] = q999 + s * 0.999 if u > q999 else q999 - s * 0.001


def track_three(
    qa: list[float], ua: float, qb: list[float], ub: float, qc: list[float], uc: float,
    boost: float, smoothed: float,
) -> None:  # fmt: skip
    """`track(qa, ua, boost)`, `track(qb, ub, smoothed)` and `track(qc, uc, smoothed)`: one
    call instead of three on the per-tag detector's hot path, with the same arithmetic."""
    step = QRATE * boost
    q90, q99, q999 = qa
    s = step * (q90 + 0.1)
    qa[0] = q90 + s * 0.9 if ua > q90 else q90 - s * 0.1
    s = step * (q99 + 0.1)
    qa[1] = q99 + s * 0.99 if ua > q99 else q99 - s * 0.01
    s = step * (q999 + 0.1) * 0.25  # as in `track`
    qa[2] = q999 + s * 0.999 if ua > q999 else q999 - s * 0.001
    step = QRATE * smoothed
    for q, u in ((qb, ub), (qc, uc)):
        q90, q99, q999 = q
        s = step * (q90 + 0.1)
        q[0] = q90 + s * 0.9 if u > q90 else q90 - s * 0.1
        s = step * (q99 + 0.1)
        q[1] = q99 + s * 0.99 if u > q99 else q99 - s * 0.01
        s = step * (q999 + 0.1) * 0.25
        q[2] = q999 + s * 0.999 if u > q999 else q999 - s * 0.001


def score_of(decades_: float) -> float:
    """Decades of tail probability -> the stored score in [0, 1): 1 - tail^(1/10)."""
    return 1.0 - 10.0 ** (-decades_ / LOG_SCALE)


def decades_of(score: float) -> float:
    """The inverse of `score_of` (a threshold in decades of tail probability)."""
    return -LOG_SCALE * math.log10(max(1e-300, 1.0 - score))
