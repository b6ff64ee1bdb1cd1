"""The default unit detector: dynamic PCA distance, smoothed, with limits learned out of sample.

Chosen by measurement on the Tennessee Eastman data (`benchmarks/tep_detector.py`; the figures
and the alternatives tried are in `docs/unit-detection.md`). Per observation:

1. scale each tag by its reference mean and spread, and stack it with its last `lags` values;
2. the squared Mahalanobis distance of that vector from the reference, split into its part along
   the major principal directions ("shift": the unit moved as it normally moves, but too far)
   and along the minor ones ("relation": the tags stopped keeping their relations);
3. an exponentially weighted average of that distance (the statistic): a small persistent change
   that a single observation hides shows once it has lasted a few observations, while one noisy
   observation moves the average by only `smoothing` of its size; what one window may feed it
   is capped (`spike_cap`), so a glitch cannot open an alarm alone and the average of a large
   fault falls back below the limit soon after the fault ends;
4. the limit: the same statistic on each block of the reference judged by a model fitted
   without that block (in-sample distances of a model fitted on a few hundred observations are
   far smaller than those of new normal data), its 99th percentile extended into the tail to a
   false rate of `false_rate` per observation (`unit_limits`), so that a stream at 1 Hz is not
   paged every hour;
5. on-delay and off-delay turn "above the limit" into an alarm; its kind is "relation" when the
   minor part alone is above its own limit, else "shift"; its contributions are the smoothed
   reconstruction-based contributions of each tag (`unit_contributions`).

Slow adaptation: the reference mean follows the unit only while the statistic is below the
reference's median and no alarm is on, with a forgetting factor of `adapt_rate` per observation,
so a fault (which raises the statistic) stops the adaptation before it is absorbed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from sensor_tui.detection.unit_base import UnitVerdict
from sensor_tui.detection.unit_batch import (
    BLOCK,
    Walk,
    WalkRules,
    corrections,
    one_blas_thread,
    settle,
    windows_of,
)
from sensor_tui.detection.unit_contributions import block_inverses, contributions, shares
from sensor_tui.detection.unit_dynamic_limits import (
    DynamicSettings,
    Limits,
    learn_limits,
    spike_cap,
)
from sensor_tui.detection.unit_model import UnitModel, fit_model
from sensor_tui.detection.unit_persistence import Persistence
from sensor_tui.model.faults import FaultKind

STATE_FORMAT = "dynamic-pca/1"
__all__ = ["DynamicSettings", "DynamicUnitDetector"]


class DynamicUnitDetector:
    """Dynamic PCA distance with learned limits (see the module docstring)."""

    def __init__(self, tags: Sequence[str], settings: DynamicSettings | None = None) -> None:
        if not tags:
            raise ValueError("a unit needs at least one tag")
        self.tags = tuple(tags)
        self.settings = settings or DynamicSettings()
        self._model: UnitModel | None = None
        self._limits = Limits(0.0, 0.0, (0.0, 0.0), 0.0)
        self._lags = self.settings.lags
        self._persistence = Persistence(self.settings.on_delay, self.settings.off_delay)
        self._reset_stream()

    @property
    def fitted(self) -> bool:
        """True once a reference has been learned."""
        return self._model is not None

    @property
    def limit(self) -> float:
        """The control limit of the statistic (0.0 before fitting)."""
        return self._limits.limit

    def fit(self, reference: np.ndarray) -> None:
        """Learn from a reference period (rows are observations, columns the unit's tags)."""
        data = np.asarray(reference, dtype=float)
        width = len(self.tags)
        if data.ndim != 2 or data.shape[1] != width:
            raise ValueError(
                f"a reference needs {width} columns ({', '.join(self.tags)}), got {data.shape}"
            )
        if not np.isfinite(data).all():
            raise ValueError("the reference holds missing or non-finite values")
        minimum = max(20, 2 * width)
        if len(data) < minimum:
            raise ValueError(
                f"a reference of {len(data)} observations is too short (need {minimum})"
            )
        lags = self.settings.lags
        while lags > 0 and len(data) < 2 * (lags + 1) * width + 10:
            lags -= 1  # too few observations to learn that many lagged relations
        self._limits = learn_limits(data, lags, self.settings)
        self._set_model(fit_model(data, lags), lags)

    def _set_model(self, model: UnitModel, lags: int) -> None:
        self._model, self._lags = model, lags
        self._inverses = block_inverses(model.whitening, len(self.tags))
        self._inverse_scale = 1.0 / model.scale
        self._cap = spike_cap(self._limits, self.settings, lags)
        self._reset_stream()

    def _reset_stream(self) -> None:
        """Forget the observations in flight (after a new reference or a restart)."""
        width = len(self.tags)
        self._buffer = np.zeros(width * (self._lags + 1))
        self._filled = 0
        expected = self._limits.expected
        self._levels = [expected[0], expected[1], expected[0] + expected[1]]
        self._persistence.reset()
        self._shares: np.ndarray | None = None

    def update(self, observation: np.ndarray) -> UnitVerdict:
        """Judge one observation and adapt slowly while well inside the limits."""
        model = self._model
        if model is None:
            return UnitVerdict(0.0, 0.0, False)
        x = np.asarray(observation, dtype=float)
        width = len(self.tags)
        if x.shape != (width,):
            raise ValueError(
                f"expected {width} values ({', '.join(self.tags)}), got shape {x.shape}"
            )
        x = (x - model.center) * self._inverse_scale
        if not math.isfinite(float(np.dot(x, x))):
            raise ValueError("an observation holds a missing or non-finite value")
        buffer = self._buffer
        buffer[width:] = buffer[:-width]
        buffer[:width] = x
        if self._filled < self._lags:
            self._filled += 1  # the first window is complete after lags + 1 observations
            return UnitVerdict(self._levels[2], self._limits.limit, False)
        deviation = buffer - model.mean
        scores = model.whitening @ deviation
        head = scores[: model.major]
        major = float(np.dot(head, head))
        minor = float(np.dot(scores, scores)) - major
        return self._judge(major, minor, deviation, scores)

    def update_many(self, observations: np.ndarray) -> list[UnitVerdict]:
        """Judge observations (rows) in time order: the verdicts and the state that `update` on
        each in turn gives, in a few vectorised passes (`unit_batch`). A malformed observation
        raises ValueError before anything changed."""
        x = np.asarray(observations, dtype=float)
        width, model = len(self.tags), self._model
        if x.ndim != 2 or x.shape[1] != width:
            raise ValueError(f"expected rows of {width} values, got shape {x.shape}")
        if model is None:
            return [UnitVerdict(0.0, 0.0, False)] * len(x)
        scaled = (x - model.center) * self._inverse_scale
        if not np.isfinite(scaled).all():
            raise ValueError("an observation holds a missing or non-finite value")
        if not len(x):
            return []
        windows = windows_of(self._buffer, scaled, self._lags)
        self._buffer = windows[-1].copy()
        filling = min(len(x), self._lags - self._filled)
        self._filled += filling
        verdicts = [UnitVerdict(self._levels[2], self._limits.limit, False)] * filling
        with one_blas_thread():
            for first in range(filling, len(x), BLOCK):
                verdicts += self._judge_block(windows[first : first + BLOCK])
        return verdicts

    def _judge_block(self, windows: np.ndarray) -> list[UnitVerdict]:
        model, limits, persistence = self._model, self._limits, self._persistence
        assert model is not None
        rate = self.settings.adapt_rate
        deviation = windows - model.mean
        rules = WalkRules(self.settings.smoothing, limits.limit, limits.adapt_below, rate > 0.0,
                          persistence.on_delay, persistence.off_delay)  # fmt: skip
        start = Walk((self._levels[0], self._levels[1]), persistence.above, persistence.below,
                     persistence.active, [], [], [], np.zeros(0, dtype=bool))  # fmt: skip
        raw = deviation @ model.whitening.T
        result, scores = settle(start, rules, raw, model.major, self._cap, rate)
        if result.adapted.any():
            model.mean += rate * corrections(deviation, result.adapted, rate)[-1]
        self._levels = [result.levels[0], result.levels[1], result.levels[0] + result.levels[1]]
        persistence.above, persistence.below = result.above, result.below
        persistence.active = result.active
        if not any(result.alarm):
            self._shares = None
            return [UnitVerdict(stat, limits.limit, False) for stat in result.statistic]
        return [self._verdict(result, scores, j) for j in range(len(scores))]

    def _verdict(self, result: Walk, scores: np.ndarray, j: int) -> UnitVerdict:
        """Observation j of a walked block, with its contributions when it is in alarm."""
        limits = self._limits
        if not result.alarm[j]:
            self._shares = None
            return UnitVerdict(result.statistic[j], limits.limit, False)
        assert self._model is not None
        current = contributions(self._model.whitening, scores[j], self._inverses)
        if self._shares is None:
            self._shares = current
        else:
            self._shares += self.settings.smoothing * (current - self._shares)
        kind = FaultKind.RELATION if result.minor[j] > limits.relation_limit else FaultKind.SHIFT
        return UnitVerdict(result.statistic[j], limits.limit, True, kind,
                           shares(self.tags, self._shares))  # fmt: skip

    def _judge(
        self, major: float, minor: float, deviation: np.ndarray, scores: np.ndarray
    ) -> UnitVerdict:
        s = self.settings.smoothing
        total = major + minor
        if total > self._cap:
            major, minor = major * self._cap / total, minor * self._cap / total
        levels = self._levels
        levels[0] += s * (major - levels[0])
        levels[1] += s * (minor - levels[1])
        statistic = levels[2] = levels[0] + levels[1]
        limits = self._limits
        model = self._model
        assert model is not None
        if not self._persistence.step(statistic > limits.limit):
            self._shares = None
            if statistic < limits.adapt_below and self.settings.adapt_rate > 0.0:
                model.mean += self.settings.adapt_rate * deviation
            return UnitVerdict(statistic, limits.limit, False)
        current = contributions(model.whitening, scores, self._inverses)
        if self._shares is None:
            self._shares = current
        else:
            self._shares += s * (current - self._shares)
        kind = FaultKind.RELATION if levels[1] > limits.relation_limit else FaultKind.SHIFT
        return UnitVerdict(statistic, limits.limit, True, kind, shares(self.tags, self._shares))

    def state(self) -> dict[str, Any]:
        """The learned reference (and the adapted mean) as JSON-ready data."""
        model = self._model
        if model is None:
            return {"format": STATE_FORMAT, "tags": list(self.tags), "fitted": False}
        return {
            "format": STATE_FORMAT,
            "tags": list(self.tags),
            "fitted": True,
            "settings": asdict(self.settings),
            "lags": self._lags,
            "center": model.center.tolist(),
            "scale": model.scale.tolist(),
            "mean": model.mean.tolist(),
            "whitening": model.whitening.tolist(),
            "major": model.major,
            "limit": self._limits.limit,
            "adapt_below": self._limits.adapt_below,
            "expected": list(self._limits.expected),
            "relation_limit": self._limits.relation_limit,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what `state` returned; the observations in flight start afresh."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"not a {STATE_FORMAT} state: {state.get('format')!r}")
        if tuple(state.get("tags", ())) != self.tags:
            raise ValueError(
                f"state is for tags {state.get('tags')}, this unit has {list(self.tags)}"
            )
        if not state.get("fitted"):
            self._model = None
            self._reset_stream()
            return
        self.settings = DynamicSettings(**state["settings"])
        self._persistence = Persistence(self.settings.on_delay, self.settings.off_delay)
        low, high = state["expected"]
        self._limits = Limits(
            float(state["limit"]),
            float(state["adapt_below"]),
            (float(low), float(high)),
            float(state["relation_limit"]),
        )
        size = len(state["mean"])
        model = UnitModel(
            np.array(state["center"], dtype=float),
            np.array(state["scale"], dtype=float),
            np.array(state["mean"], dtype=float),
            np.array(state["whitening"], dtype=float).reshape(-1, size),
            int(state["major"]),
        )
        self._set_model(model, int(state["lags"]))
