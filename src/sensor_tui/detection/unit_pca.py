"""Textbook PCA monitoring: Hotelling's T² on k components and Q (SPE) on the residual.

The baseline every unit-detector figure is printed beside (`benchmarks/tep_detector.py`) and a
plug-in of its own (`detector = "pca"`): the method the process-monitoring literature reports on
the Tennessee Eastman data, with the limits taken as empirical quantiles of the reference itself.
An observation is flagged when either statistic is above its limit, with no smoothing and no
persistence, exactly as the published per-observation rates are computed. The statistic it
reports is the larger of T²/T²-limit and Q/Q-limit, so its limit is 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sensor_tui.detection.unit_base import UnitVerdict
from sensor_tui.detection.unit_contributions import shares
from sensor_tui.detection.unit_model import scale_of
from sensor_tui.model.faults import FaultKind

STATE_FORMAT = "pca/1"


class PCAUnitDetector:
    """PCA T² and Q with empirical limits (see the module docstring)."""

    def __init__(self, tags: Sequence[str], components: int = 9, quantile: float = 0.99) -> None:
        if not tags:
            raise ValueError("a unit needs at least one tag")
        self.tags = tuple(tags)
        self.components = components
        self.quantile = quantile
        self._loadings: np.ndarray | None = None
        self._center = self._scale = self._variances = np.zeros(0)
        self._limits = (0.0, 0.0)

    @property
    def fitted(self) -> bool:
        """True once a reference has been learned."""
        return self._loadings is not None

    def fit(self, reference: np.ndarray) -> None:
        """Principal components of the scaled reference, and the 99% quantiles of T² and Q."""
        data = np.asarray(reference, dtype=float)
        if data.ndim != 2 or data.shape[1] != len(self.tags) or len(data) < 3:
            raise ValueError(f"a reference needs 3 or more rows of {len(self.tags)} values")
        if not np.isfinite(data).all():
            raise ValueError("the reference holds missing or non-finite values")
        self._center, self._scale = scale_of(data)
        scaled = (data - self._center) / self._scale
        _, singular, rows = np.linalg.svd(scaled, full_matrices=False)
        k = max(1, min(self.components, len(self.tags) - 1, len(singular)))
        self._loadings = rows[:k].T.copy()
        self._variances = np.maximum(singular[:k] ** 2 / (len(data) - 1), 1e-12)
        t2, q = self.statistics(data)
        # floored: a unit of one tag has no residual, so Q and its limit are 0
        t2_limit, q_limit = np.quantile(t2, self.quantile), np.quantile(q, self.quantile)
        self._limits = (max(float(t2_limit), 1e-12), max(float(q_limit), 1e-12))

    def statistics(self, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """T² and Q of a batch of observations (rows)."""
        if self._loadings is None:
            raise ValueError("the detector has no reference yet")
        scaled = (np.atleast_2d(observations) - self._center) / self._scale
        scores = scaled @ self._loadings
        t2 = (scores * scores / self._variances).sum(axis=1)
        residual = scaled - scores @ self._loadings.T
        return t2, (residual * residual).sum(axis=1)

    def flags(self, observations: np.ndarray) -> np.ndarray:
        """Per observation: T² or Q above its limit (the published baseline's rule)."""
        t2, q = self.statistics(observations)
        return np.asarray((t2 > self._limits[0]) | (q > self._limits[1]))

    def update(self, observation: np.ndarray) -> UnitVerdict:
        """Judge one observation (this baseline does not adapt)."""
        if self._loadings is None:
            return UnitVerdict(0.0, 1.0, False)
        x = np.asarray(observation, dtype=float)
        if x.shape != (len(self.tags),) or not np.isfinite(x).all():
            raise ValueError(f"expected {len(self.tags)} finite values, got {x!r}")
        t2, q = self.statistics(x)
        shift, relation = float(t2[0]) / self._limits[0], float(q[0]) / self._limits[1]
        statistic = max(shift, relation)
        if statistic <= 1.0:
            return UnitVerdict(statistic, 1.0, False)
        scaled = (x - self._center) / self._scale
        if relation >= shift:
            kind, part = FaultKind.RELATION, scaled - self._loadings @ (self._loadings.T @ scaled)
            weights = part * part
        else:
            kind, scores = FaultKind.SHIFT, self._loadings.T @ scaled
            weights = np.abs(scaled * (self._loadings @ (scores / self._variances)))
        return UnitVerdict(statistic, 1.0, True, kind, shares(self.tags, weights))

    def state(self) -> dict[str, Any]:
        """The learned reference as JSON-ready data."""
        if self._loadings is None:
            return {"format": STATE_FORMAT, "tags": list(self.tags), "fitted": False}
        return {
            "format": STATE_FORMAT,
            "tags": list(self.tags),
            "fitted": True,
            "components": self.components,
            "quantile": self.quantile,
            "center": self._center.tolist(),
            "scale": self._scale.tolist(),
            "loadings": self._loadings.tolist(),
            "variances": self._variances.tolist(),
            "limits": list(self._limits),
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what `state` returned."""
        if state.get("format") != STATE_FORMAT or tuple(state.get("tags", ())) != self.tags:
            raise ValueError(f"not a {STATE_FORMAT} state for tags {list(self.tags)}")
        if not state.get("fitted"):
            self._loadings = None
            return
        self.components = int(state["components"])
        self.quantile = float(state["quantile"])
        self._center = np.array(state["center"], dtype=float)
        self._scale = np.array(state["scale"], dtype=float)
        self._loadings = np.array(state["loadings"], dtype=float).reshape(len(self.tags), -1)
        self._variances = np.array(state["variances"], dtype=float)
        low, high = state["limits"]
        self._limits = (float(low), float(high))
