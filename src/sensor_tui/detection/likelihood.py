"""Calibration: a raw statistic turned into an anomaly likelihood in [0, 1].

A raw statistic (a residual over its scale, a ratio of spreads) means different things on
different tags: a sensor that blips by one count every twenty readings, a noisy flow, a smooth
temperature. What is comparable across tags and kinds is how rare a value of the statistic is
*for this tag*. So each statistic keeps two running quantiles of its own recent values (the 90th
and the 99th percentile, tracked online with a Robbins-Monro step, frozen while the tag is in
alarm so a fault cannot teach its own level), and the tail beyond them is extrapolated as
exponential: P(u > q90) = 0.1, P(u > q99) = 0.01, and one more decade per (q99 - q90) beyond.
An exponential tail is conservative for Gaussian noise (whose tail falls faster) and honest for
heavy-tailed data, whose 99th percentile sits far out and so widens the decade.

The score is Numenta's log-likelihood scale: -log10(tail) / 10, clipped to [0, 1], so 0.5 means
"as rare as 1 in 100,000 of this tag's readings" and 1.0 "1 in 10^10 or rarer".
"""

from __future__ import annotations

LOG_SCALE = 10.0
"""Decades of tail probability that make a score of 1.0."""

Q90_PRIOR = 2.0
Q99_PRIOR = 3.3
"""Starting quantiles of |residual| / mean |residual| (normal noise: 2.06 and 3.23)."""


def decades(u: float, q90: float, q99: float) -> float:
    """-log10 of the tail probability of `u` (piecewise: linear in u below q90, exponential
    tail above it, through P = 0.1 at q90 and 0.01 at q99)."""
    if u <= q90:
        return u / q90 if q90 > 0.0 else 0.0
    gap = q99 - q90
    floor = 0.05 * q99 + 1e-12
    return 1.0 + (u - q90) / (gap if gap > floor else floor)


def track(q: float, u: float, share_above: float, rate: float) -> float:
    """One Robbins-Monro step of a quantile tracker: up when exceeded, down otherwise.

    The step is relative (proportional to q plus a small constant) so that the same rate works
    for a statistic that is usually 0 (a quantised sensor's repeats) and one that is usually 3.
    """
    step = rate * (q + 0.1)
    return q + step * (1.0 - share_above) if u > q else q - step * share_above


def score_of(decades_: float) -> float:
    """Decades of tail probability -> the stored score in [0, 1]."""
    s = decades_ / LOG_SCALE
    return 0.0 if s < 0.0 else (1.0 if s > 1.0 else s)
