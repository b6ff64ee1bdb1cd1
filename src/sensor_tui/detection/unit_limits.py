"""Control limits learned from a reference: an empirical quantile, extended into the far tail.

A reference of a few hundred observations pins the 99th percentile of a statistic, not the
rare values a live stream meets every hour: at one observation a second, a limit exceeded by 1%
of normal observations opens an alarm every few minutes. So the limit is the larger of the
empirical quantile and the quantile at `false_rate` of a scaled chi-square g·χ²(h) matched to
the statistic's mean and variance (Box's approximation, the usual one for Q and for smoothed
distances), computed with the Wilson-Hilferty cube-root normal form so that numpy and the
standard library suffice.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np


def scaled_chi_square_quantile(mean: float, variance: float, probability: float) -> float:
    """Quantile of g·χ²(h) with g·h = mean and 2·g²·h = variance."""
    if mean <= 0.0 or variance <= 0.0:
        return max(mean, 0.0)
    g = variance / (2.0 * mean)
    h = 2.0 * mean * mean / variance
    z = NormalDist().inv_cdf(probability)
    a = 2.0 / (9.0 * h)
    return g * h * max(1.0 - a + z * np.sqrt(a), 0.0) ** 3


def control_limit(values: np.ndarray, quantile: float, false_rate: float) -> float:
    """The larger of the empirical `quantile` and the matched tail quantile at `false_rate`."""
    empirical = float(np.quantile(values, quantile))
    if false_rate <= 0.0:
        return empirical
    tail = scaled_chi_square_quantile(float(values.mean()), float(values.var()), 1.0 - false_rate)
    return max(empirical, float(tail))
