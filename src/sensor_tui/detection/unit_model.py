"""The learned reference of a unit: how its tags (and their recent past) move together.

A unit's tags are scaled by their reference mean and spread, stacked with their last `lags`
values (dynamic PCA: a plant's tags follow each other with a delay, and a held analyser value
is a relation in time), and the covariance of that vector is decomposed into principal
directions. The squared Mahalanobis distance of a new vector then splits in two parts:

- along the *major* directions (the ones holding most of the variance, Hotelling's T²): the
  unit moved the way it normally moves, only too far ("shift");
- along the *minor* directions (the residual space, what Q/SPE looks at, but scaled by each
  direction's own variance): the tags no longer keep their relations ("relation").

Keeping every direction rather than truncating at k components and alarming on T² and Q
separately is what the Tennessee Eastman measurements chose: faults such as a reactor cooling
step or a sticking valve show mainly in the small-variance directions (near-exact balances),
which the unscaled Q drowns in the noise of the larger residual directions.

Pure numpy. The streaming detector (`unit_dynamic`) judges the same windows as `windows` builds
here, once its buffer holds `lags` + 1 observations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAJOR_SHARE = 0.9
"""The major directions are the fewest that hold this share of the reference variance."""

EIGEN_FLOOR = 1e-9
"""Directions with less variance than this share of the mean are given this much variance: a
relation that is exact in the reference (two tags reading the same flow, digits rounded) stays
watched, without a division by zero."""


@dataclass(slots=True)
class UnitModel:
    """What was learned from a reference period (JSON-ready through `as_lists`)."""

    center: np.ndarray
    """Reference mean of each tag."""
    scale: np.ndarray
    """Reference standard deviation of each tag (floored, so a constant tag cannot divide by 0)."""
    mean: np.ndarray
    """Mean of the scaled, lagged vector (adapted slowly while the unit is well inside limits)."""
    whitening: np.ndarray
    """Rows: principal directions divided by their standard deviation, major ones first."""
    major: int
    """How many rows of `whitening` are major directions."""


def scale_of(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each tag's mean and spread; a spread of 0 becomes a tiny one relative to the level."""
    center = reference.mean(axis=0)
    spread = reference.std(axis=0, ddof=1) if len(reference) > 1 else np.zeros_like(center)
    floor = 1e-6 * np.maximum(1.0, np.abs(center))
    return center, np.maximum(spread, floor)


def windows(observations: np.ndarray, lags: int) -> np.ndarray:
    """Each observation from the `lags`-th on, followed by its `lags` predecessors (newest
    first): the vectors the streaming detector judges once its buffer is full."""
    n = len(observations)
    return np.hstack([observations[lags - i : n - i] for i in range(lags + 1)])


def fit_windows(raw_windows: np.ndarray, tags: int) -> UnitModel:
    """Learn centre, scale and the principal directions from raw (unscaled) windows."""
    center, scale = scale_of(raw_windows[:, :tags])
    lags = raw_windows.shape[1] // tags - 1
    vectors = (raw_windows - np.tile(center, lags + 1)) / np.tile(scale, lags + 1)
    mean = vectors.mean(axis=0)
    covariance = np.atleast_2d(np.cov(vectors, rowvar=False))
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    eigenvalues = np.maximum(eigenvalues, EIGEN_FLOOR * max(float(eigenvalues.mean()), 1e-12))
    share = np.cumsum(eigenvalues) / eigenvalues.sum()
    major = min(int(np.searchsorted(share, MAJOR_SHARE)) + 1, len(share))
    whitening = np.ascontiguousarray((eigenvectors / np.sqrt(eigenvalues)).T)
    return UnitModel(center, scale, mean, whitening, major)


def fit_model(reference: np.ndarray, lags: int) -> UnitModel:
    """Learn a unit model from a reference period (rows are observations)."""
    return fit_windows(windows(reference, lags), reference.shape[1])


def window_parts(model: UnitModel, raw_windows: np.ndarray) -> np.ndarray:
    """Squared distance of each window along the major and the minor directions (n x 2)."""
    repeat = raw_windows.shape[1] // len(model.center)
    scaled = (raw_windows - np.tile(model.center, repeat)) / np.tile(model.scale, repeat)
    scores = (scaled - model.mean) @ model.whitening.T
    squares = scores * scores
    major = squares[:, : model.major].sum(axis=1)
    return np.column_stack([major, squares[:, model.major :].sum(axis=1)])


def smooth(values: np.ndarray, smoothing: float, start: float) -> np.ndarray:
    """Exponentially weighted moving average of a series, starting from `start`."""
    out = np.empty(len(values))
    level = start
    for i, value in enumerate(values):
        level += smoothing * (float(value) - level)
        out[i] = level
    return out


def held_out_parts(reference: np.ndarray, lags: int, folds: int) -> list[np.ndarray]:
    """Distance parts of each contiguous block of the reference under a model fitted without
    it: what new normal data will look like, unlike the in-sample distances, which a model
    fitted on a few hundred observations makes far too small (so its limits would be too low).
    A window is held out when it ends inside the block, and trains only when it does not touch
    the block at all."""
    raw_windows = windows(reference, lags)
    n = len(raw_windows)
    folds = max(2, min(folds, n // 10))
    parts = []
    for block in np.array_split(np.arange(n), folds):
        keep = np.ones(n, dtype=bool)
        keep[max(0, block[0] - lags) : block[-1] + lags + 1] = False
        model = fit_windows(raw_windows[keep], reference.shape[1])
        parts.append(window_parts(model, raw_windows[block]))
    return parts
