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
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sensor_tui.detection.unit_base import UnitVerdict
from sensor_tui.detection.unit_contributions import block_inverses, contributions, shares
from sensor_tui.detection.unit_limits import control_limit
from sensor_tui.detection.unit_model import UnitModel, fit_model, held_out_parts, smooth
from sensor_tui.detection.unit_persistence import Persistence

STATE_FORMAT = "dynamic-pca/1"


@dataclass(frozen=True, slots=True)
class DynamicSettings:
    """The detector's knobs; the defaults are the measured choice (`docs/unit-detection.md`)."""

    lags: int = 2
    """Past observations stacked with each one (fewer when the reference is too short)."""
    smoothing: float = 0.1
    """Weight of the newest distance in the average (the statistic)."""
    folds: int = 10
    """Blocks of the reference, each judged by a model learned from the others."""
    quantile: float = 0.99
    """The limit is at least this quantile of the held-out statistic..."""
    false_rate: float = 1e-6
    """...and at least where the held-out tail, extended, is crossed this often."""
    spike_share: float = 1.0
    """How far towards the limit one glitch may push the average (0: no cap)."""
    on_delay: int = 2
    """Observations in a row above the limit that open an alarm."""
    off_delay: int = 3
    """Observations in a row below the limit that end it."""
    adapt_rate: float = 0.0005
    """Forgetting factor of the learned mean, while the statistic is below its median."""


@dataclass(slots=True)
class _Limits:
    """What `learn_limits` learns from the held-out blocks of the reference."""

    limit: float
    """The control limit of the statistic."""
    adapt_below: float
    """The held-out statistic's median: the learned mean adapts only below it."""
    expected: tuple[float, float]
    """Mean held-out major and minor parts: where the smoothed parts start."""
    relation_limit: float
    """The same quantile of the smoothed minor part alone: above it, the tags broke their
    relations ("relation", Q's role); a flagged observation below it is a "shift"."""


def learn_limits(reference: np.ndarray, lags: int, settings: DynamicSettings) -> _Limits:
    """The control limit and the adaptation bound from held-out blocks of the reference."""
    parts = held_out_parts(reference, lags, settings.folds)
    expected = np.vstack(parts).mean(axis=0)
    start = float(expected.sum())
    smoothed = np.concatenate([smooth(p.sum(axis=1), settings.smoothing, start) for p in parts])
    minor = np.concatenate([smooth(p[:, 1], settings.smoothing, expected[1]) for p in parts])
    return _Limits(
        control_limit(smoothed, settings.quantile, settings.false_rate),
        float(np.quantile(smoothed, 0.5)),
        (float(expected[0]), float(expected[1])),
        control_limit(minor, settings.quantile, settings.false_rate),
    )


def spike_cap(limits: _Limits, settings: DynamicSettings, lags: int) -> float:
    """The largest distance one window may feed the average: so much that one glitch, which
    stays in the window for `lags` + 1 observations, moves the average at most `spike_share`
    of the way from its normal level to the limit. One glitch then cannot open an alarm, and a
    large fault's average stays near the limit rather than rising a hundredfold, so that it
    falls back below the limit soon after the fault ends."""
    expected = sum(limits.expected)
    if settings.spike_share <= 0.0:
        return math.inf
    steps = settings.smoothing * (lags + 1)
    return expected + settings.spike_share * (limits.limit - expected) / steps


class DynamicUnitDetector:
    """Dynamic PCA distance with learned limits (see the module docstring)."""

    def __init__(self, tags: Sequence[str], settings: DynamicSettings | None = None) -> None:
        if not tags:
            raise ValueError("a unit needs at least one tag")
        self.tags = tuple(tags)
        self.settings = settings or DynamicSettings()
        self._model: UnitModel | None = None
        self._limits = _Limits(0.0, 0.0, (0.0, 0.0), 0.0)
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
        kind = "relation" if levels[1] > limits.relation_limit else "shift"
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
        self._limits = _Limits(
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
