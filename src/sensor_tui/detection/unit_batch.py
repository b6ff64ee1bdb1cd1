"""Many observations of the dynamic PCA detector judged in one go, with the same results.

Why: an import judges one unit observation per timestamp, on the writer thread. One numpy call
per observation costs tens of microseconds of interpreter time, and that held the import to a
fifth of a plain `executemany`. Here the distance of a whole block of windows is one matrix
product; only the scalars (the average, the on/off delays) are walked one by one.

The catch is the slow adaptation: the learned mean moves by `adapt_rate` of the deviation after
each observation that is well inside the limits, and which ones are depends on the statistic,
which depends on the mean. The mean's drift is linear in those yes/no decisions, so for a
*guess* of the decisions the scores of every window follow in closed form (`corrections`). The
walk then decides for real; where a decision differs from the guess, the guess takes the walk's
decisions and the block is scored again. The decisions before the first difference were right,
so each pass settles at least one more observation, and a guess that agrees with its walk is
exactly the observation-by-observation result (up to float rounding). In practice a block needs
two or three passes: the first guess (no adaptation) is wrong from the first adapting observation
on, the second is the walk's own decisions, which change the mean by so little that they rarely
change again. Blocks are `BLOCK` observations, which bounds a pathological case's passes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

BLOCK = 512
"""Observations scored per block (the number of passes a block can need is bounded by it)."""

_BLAS: list[ThreadpoolController] = []


def one_blas_thread() -> AbstractContextManager[Any]:
    """Hold numpy's BLAS to one thread for a block's matrix products. Why: OpenBLAS splits a
    product of a block of windows (say 96 x 156 by 156 x 156 for 52 tags) over every core, and
    its threads spin while they wait; on two shared cores that tripled the CPU time of the
    Tennessee Eastman import and took a core from the importing thread. One thread is the
    faster for matrices this small. The controller is made once (it scans the loaded libraries)."""
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


@dataclass(slots=True)
class Walk:
    """The scalar state the walk carries from one observation to the next, and its outputs."""

    levels: tuple[float, float]
    """Smoothed major and minor parts before the block."""
    above: int
    below: int
    active: bool
    statistic: list[float]
    minor: list[float]
    alarm: list[bool]
    adapted: np.ndarray


@dataclass(frozen=True, slots=True)
class WalkRules:
    """The detector's constants the walk applies."""

    smoothing: float
    limit: float
    adapt_below: float
    adapts: bool
    on_delay: int
    off_delay: int


def corrections(values: np.ndarray, adapted: np.ndarray, rate: float) -> np.ndarray:
    """The running sum V of a linear recurrence, before each row and after the last (n+1 rows):
    V[j+1] = V[j] + (values[j] - rate * V[j]) on rows where `adapted`, else V[j].

    With `values` the window deviations from the block's starting mean, V[j] is how far the
    adapted mean moved before row j, in units of `rate`; with `values` their scores, its scores.
    Closed form: with f = 1 - rate * adapted and P[j] the product of f over rows before j,
    V[j] = P[j] * sum over i < j of adapted[i] * values[i] / P[i + 1].
    """
    factors = 1.0 - rate * adapted
    after = np.cumprod(factors)
    before = np.concatenate(([1.0], after))
    terms = np.where(adapted[:, None], values / after[:, None], 0.0)
    sums = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(terms, axis=0)])
    out: np.ndarray = sums * before[:, None]
    return out


def parts(scores: np.ndarray, major: int, cap: float) -> tuple[list[float], list[float]]:
    """Each window's squared distance along the major and the minor directions, capped as the
    detector caps one window's share (`spike_cap`)."""
    squares = scores * scores
    high = squares[:, :major].sum(axis=1)
    low = squares.sum(axis=1) - high
    total = high + low
    over = total > cap
    if over.any():
        high = np.where(over, high * cap / total, high)
        low = np.where(over, low * cap / total, low)
    return high.tolist(), low.tolist()


def walk(start: Walk, rules: WalkRules, high: list[float], low: list[float]) -> Walk:
    """Average, on/off delays and the adaptation decisions, observation by observation."""
    s, limit, below_at = rules.smoothing, rules.limit, rules.adapt_below
    on_delay, off_delay, adapts = rules.on_delay, rules.off_delay, rules.adapts
    l0, l1 = start.levels
    above, below, active = start.above, start.below, start.active
    statistic: list[float] = []
    minor: list[float] = []
    alarm: list[bool] = []
    adapted: list[bool] = []
    add_statistic, add_minor, add_alarm, add_adapted = (
        statistic.append,
        minor.append,
        alarm.append,
        adapted.append,
    )
    for major_part, minor_part in zip(high, low, strict=True):
        l0 += s * (major_part - l0)
        l1 += s * (minor_part - l1)
        stat = l0 + l1
        if stat > limit:
            above += 1
            below = 0
            if above >= on_delay:
                active = True
        else:
            below += 1
            above = 0
            if below >= off_delay:
                active = False
        add_statistic(stat)
        add_minor(l1)
        add_alarm(active)
        add_adapted(adapts and not active and stat < below_at)
    return Walk((l0, l1), above, below, active, statistic, minor, alarm, np.array(adapted))


def settle(
    start: Walk, rules: WalkRules, raw: np.ndarray, major: int, cap: float, rate: float
) -> tuple[Walk, np.ndarray]:
    """Walk a block of raw scores (W times the deviation from the starting mean) until the
    adaptation decisions agree with the guess they were scored with (see the module docstring);
    the walk and the scores it judged."""
    guess = np.zeros(len(raw), dtype=bool)
    while True:
        scores = raw - rate * corrections(raw, guess, rate)[:-1] if guess.any() else raw
        result = walk(start, rules, *parts(scores, major, cap))
        if np.array_equal(result.adapted, guess):
            return result, scores
        guess = result.adapted


def windows_of(buffer: np.ndarray, scaled: np.ndarray, lags: int) -> np.ndarray:
    """The window (newest first, as the detector's buffer holds it) after each scaled
    observation, continuing the buffer's last `lags` observations."""
    width = scaled.shape[1]
    prior = buffer[: width * lags].reshape(lags, width)[::-1]
    history = np.vstack([prior, scaled])
    n = len(scaled)
    return np.hstack([history[lags - k : lags - k + n] for k in range(lags + 1)])
