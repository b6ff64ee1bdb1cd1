"""The default detector: robust, O(1) per reading, and it says which kind of fault it saw.

Why not the seed's z-score: a rolling mean and standard deviation absorb every anomaly they see
(a spike inflates the deviation for the next 50 readings, a stuck sensor shrinks it to zero), and
one threshold on one statistic cannot tell a spike from a drift. This detector keeps a small set
of running estimates, each answering one question, and freezes the ones a fault would poison:

- baseline: an exponentially weighted level of the readings judged normal, each step clipped
  (Huber) so that one bad value moves it little. It stops learning while a deviation lasts, so a
  fault is measured against the process as it was before it; under a step it keeps following the
  process beneath the step's offset, so the alarm ends as soon as the step does;
- residual scale: the median absolute residual against that baseline (noise plus the part of the
  slow process the baseline lags behind), over a ring sampled across about 2,000 normal readings,
  so a fault lasting minutes cannot move it;
- difference scale: the mean absolute change from one reading to the next, which measures the
  sensor's own noise independently of the level;
- a two-sided CUSUM of the residual, which sees a deviation that stays moderately large for long.

Each fault kind is then a cheap test on those estimates:

- spike: one to three readings far from the baseline, arriving with a jump;
- step: a jump to a new level that persists (reported as spike for its first readings, then step;
  an alarm's kind is the majority of its readings' kinds, see `sensor_tui.alarms`);
- drift: a deviation that grew without a jump (the CUSUM fires, or the residual gets large),
  i.e. faster than the slow process moves; a jump back against it ends it (the drift is over);
- stuck: the value has not changed for longer than the sensor's own rate of repeats explains;
- noise: many consecutive changes larger than the sensor's normal changes (a variance burst);
- out_of_band: outside the tag's configured normal band for `oob_readings` readings in a row,
  when no other test explains it (e.g. the process itself moved, slowly, out of its band).

Scores, stored with each flagged reading: for spike, step, drift and out_of_band the signed
distance from the baseline (out_of_band: from the band's edge) in residual standard deviations;
for noise, how many times larger the recent reading-to-reading changes are than normal; for stuck,
how many readings the value has not changed.

Nothing locks itself in: a deviation or a noise level that lasts `max_hold` readings becomes the
new normal, and a sensor flat from its first reading keeps warming up until it moves.

Everything is a few dozen float operations per reading (no numpy; one sort of 128 floats per 16
normal readings). `update` is one long function on purpose: it is the writer thread's hot path,
and every call avoided counts at 1-2 µs per reading (measured by `benchmarks/detection.py`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sensor_tui.detection import Verdict

MAD_TO_SD = 1.4826
"""Standard deviation of a normal variable per unit of its median absolute deviation."""

SCALE_RING = 128
"""Residuals of normal readings kept to re-estimate the residual scale (a robust median)."""

SCALE_EVERY = 16
"""One learned reading in this many enters the ring, which so spans 2,048 readings: a fault
lasting minutes fills too little of it to move its median, and one sort of 128 floats per 16
readings costs well under a microsecond per reading."""

_NORMAL = (False, None, None)


class RobustDetector:
    """Robust baseline + typed fault tests; see the module docstring for the reasoning.

    Durations are counted in readings of this tag, so the same settings mean the same thing for a
    live stream at 1 Hz and for a CSV imported at full speed.

    Settings: `band` the tag's normal band (None: no out_of_band test); `warmup` readings before
    the first verdict; `level_alpha` how fast the baseline follows the process; `z_flag` the
    residual (in standard deviations) that flags a reading and `z_gate` the one past which a
    reading is no longer learned from; `stuck_min` the shortest flat run called stuck;
    `max_hold` readings after which a lasting deviation or noise level becomes the new normal;
    `oob_readings` readings outside the band before out_of_band; `cusum_k`, `cusum_h` the
    CUSUM's allowance and decision threshold, in standard deviations.
    """

    __slots__ = (
        "_abrupt",
        "_dev_run",
        "_dev_sign",
        "_down",
        "_down_before",
        "_dscale",
        "_flat_rate",
        "_floor",
        "_hold",
        "_level",
        "_n",
        "_noise",
        "_noise_on",
        "_offset",
        "_oob_run",
        "_prev",
        "_quiet",
        "_recent",
        "_run",
        "_sigma",
        "_since_scale",
        "_slot",
        "_spread",
        "_start",
        "_up",
        "_up_before",
        "band",
        "cusum_h",
        "cusum_k",
        "level_alpha",
        "max_hold",
        "oob_readings",
        "stuck_min",
        "warmup",
        "z_flag",
        "z_gate",
    )

    def __init__(
        self,
        band: tuple[float, float] | None = None,
        warmup: int = 120,
        level_alpha: float = 0.01,
        z_flag: float = 6.0,
        z_gate: float = 4.5,
        stuck_min: int = 10,
        max_hold: int = 900,
        oob_readings: int = 30,
        cusum_k: float = 3.0,
        cusum_h: float = 30.0,
    ) -> None:
        self.band = band
        self.warmup = warmup
        self.level_alpha = level_alpha
        self.z_flag = z_flag
        self.z_gate = z_gate
        self.stuck_min = stuck_min
        self.max_hold = max_hold
        self.oob_readings = oob_readings
        self.cusum_k = cusum_k
        self.cusum_h = cusum_h
        self._up = 0.0
        self._down = 0.0
        self._up_before = 0.0
        self._down_before = 0.0
        self._start: list[float] = []
        self._n = 0
        self._prev = 0.0
        self._level = 0.0
        self._sigma = 0.0
        self._floor = 0.0
        self._recent: list[float] = []
        self._slot = 0
        self._since_scale = 0
        self._dscale = 0.0
        self._spread = 0.0
        self._noise = 0.0
        self._noise_on = False
        self._run = 0
        self._flat_rate = 0.0
        self._dev_run = 0
        self._dev_sign = 0.0
        self._abrupt = False
        self._hold = 0
        self._quiet = 0
        self._oob_run = 0
        self._offset = 0.0

    # -- learning ------------------------------------------------------------------------

    def _initialise(self) -> bool:
        """Robust starting estimates from the warm-up readings: median and median deviations.

        False when the warm-up readings never changed: nothing can be learned about the sensor's
        noise from a flat line, so the warm-up goes on (over the most recent readings) until it
        moves. A sensor that is flat from its first reading is never called stuck.
        """
        values = self._start
        ordered = sorted(values)
        median = ordered[len(ordered) // 2]
        diffs = sorted(abs(b - a) for a, b in itertools.pairwise(values))
        deviations = sorted(abs(v - median) for v in values)
        scale = abs(median) * 1e-9 + 1e-12
        # median |d| -> mean |d| for normal noise; a coarsely quantised sensor repeats more often
        # than not, and then the mean of its changes is the better measure.
        dscale = diffs[len(diffs) // 2] * 1.18 or sum(diffs) / len(diffs)
        if dscale <= scale:
            del self._start[:-1]
            self._n = 1
            return False
        self._level = sum(values[-10:]) / len(values[-10:])
        # The residual scale starts from the differences (pure noise) but never below a fraction
        # of the spread, so a slowly moving start does not make every later wiggle look huge.
        # It never falls below the noise the differences show: a baseline cannot beat the noise.
        self._floor = dscale / 1.128 / 1.4142
        sigma = max(3.0 * self._floor, deviations[len(deviations) // 2] * MAD_TO_SD, scale)
        self._sigma = sigma
        self._recent = [sigma / MAD_TO_SD] * SCALE_RING
        self._dscale = dscale
        self._spread = dscale
        flats = sum(1 for d in diffs if d <= 0.02 * dscale)
        self._flat_rate = flats / len(diffs)
        self._prev = values[-1]
        self._start = []
        return True

    def warm(self, values: Iterable[float]) -> None:
        """Learn from stored history without flagging, so a restart has no blind spot."""
        for value in values:
            self.update(value, "")

    # -- the hot path --------------------------------------------------------------------

    def update(self, value: float, timestamp: str) -> Verdict:
        """Score the next reading of this tag and learn from it if it looks normal."""
        n = self._n = self._n + 1
        if n <= self.warmup:
            self._start.append(value)
            if n == self.warmup:
                self._initialise()
            return _NORMAL
        change = value - self._prev
        self._prev = value
        dscale = self._dscale
        jump = change if change >= 0.0 else -change

        # stuck: readings equal to the previous one, beyond what this sensor's repeats explain.
        if jump <= 0.02 * dscale:
            run = self._run = self._run + 1
        else:
            run = self._run = 0
        if run < self.stuck_min:  # a stuck spell must not teach the sensor that repeats are normal
            self._flat_rate += 0.001 * ((run > 0) - self._flat_rate)

        # noise: the share of recent changes far larger than normal changes.
        big = jump > 4.0 * dscale
        noise = self._noise = self._noise + 0.1 * (big - self._noise)
        clipped = jump if jump < 12.0 * dscale else 12.0 * dscale
        spread = self._spread = self._spread + 0.1 * (clipped - self._spread)
        if noise > 0.3:
            if not self._noise_on:
                self._noise_on, self._hold = True, 0
        elif noise < 0.12:
            self._noise_on = False

        # level: the deviation from the (frozen while deviating) baseline.
        rscale = self._sigma
        residual = value - self._level
        z = residual / rscale
        az = z if z >= 0.0 else -z

        if run >= self.stuck_min and run >= self._stuck_needed():
            return (True, float(run), "stuck")
        if self._noise_on:
            self._dev_run = 0
            self._hold += 1
            if self._hold > self.max_hold:
                self._accept_noise(spread)
            return (True, round(spread / dscale, 2), "noise")

        verdict = self._level_verdict(value, z, az, jump)
        if verdict is None:
            verdict = self._band_verdict(value, rscale)
            if not self._dev_run and run < 3:
                self._learn(residual, jump)
        return verdict

    def _accept_noise(self, spread: float) -> None:
        """A noise level that lasted `max_hold` readings is the new normal: rescale to it."""
        self._dscale = spread
        self._floor = spread / 1.128 / 1.4142
        self._sigma = max(self._sigma, 3.0 * self._floor)
        self._recent = [self._sigma / MAD_TO_SD] * SCALE_RING
        self._noise_on, self._noise, self._hold = False, 0.0, 0
        self._end_deviation()

    def _stuck_needed(self) -> float:
        """Readings without change that this sensor's normal repeat rate makes unlikely (<1e-9).

        Repeats of a coarsely quantised sensor come in runs (the process moves slowly between two
        steps of the quantisation), so the bound is set far below one in a day's readings.
        """
        rate = self._flat_rate
        if rate <= 0.25:
            return self.stuck_min
        # p^k < 1e-9  =>  k > -9 ln(10) / ln(p)
        return min(20 * self.stuck_min, -20.7 / math.log(min(rate, 0.99)))

    def _level_verdict(self, value: float, z: float, az: float, jump: float) -> Verdict | None:
        """Spike, step or drift when the reading is far from the baseline; None otherwise.

        Two-sided CUSUM of the clipped z catches a deviation that stays moderately large for
        long (a drift the clipped baseline partly follows) before it is large at any one reading.
        """
        gate = self.z_gate
        self._up_before, self._down_before = self._up, self._down
        clipped = z if -gate <= z <= gate else (gate if z > 0 else -gate)
        cap = 2.0 * self.cusum_h  # bounded, so the sums forget a finished fault quickly
        up = self._up = min(cap, max(0.0, self._up + clipped - self.cusum_k))
        down = self._down = min(cap, max(0.0, self._down - clipped - self.cusum_k))
        # A step is over when its readings are back near the baseline, whatever the sums say.
        drifting = (up > self.cusum_h or down > self.cusum_h) and not (
            self._dev_run and self._abrupt
        )
        if az <= gate and not drifting:
            if self._dev_run:
                self._quiet += 1
                if self._quiet >= 3:
                    self._end_deviation()
            return None
        sign = 1.0 if (z > 0 if az > gate else up > down) else -1.0
        if self._dev_run == 0 or sign != self._dev_sign:
            abrupt = az > gate and jump > 0.5 * az * self._sigma
            against = self._up_before if sign < 0 else self._down_before
            if abrupt and against > self.cusum_h / 3:
                # A jump back against a deviation that had been building up: the end of a
                # drift the baseline partly followed. Re-learn the baseline from here.
                self._level = value
                self._end_deviation()
                return (True, round(z, 2), "drift")
            self._dev_run = 0
            self._dev_sign = sign
            self._abrupt = abrupt
            self._hold = 0
        self._dev_run += 1
        self._quiet = 0
        self._hold += 1
        if self._abrupt:
            self._follow_under_step(z * self._sigma)
        if self._hold > self.max_hold:
            self._level = value  # a lasting new level: accept it as the baseline
            self._end_deviation()
            return None
        if az < self.z_flag and not drifting:
            return None
        kind = ("spike" if self._dev_run <= 3 else "step") if self._abrupt else "drift"
        return (True, round(z, 2), kind)

    def _follow_under_step(self, residual: float) -> None:
        """Keep tracking the process underneath a step, so its end is recognised at once.

        A step adds a constant offset: learn it from the step's first readings, then move the
        baseline with (value - offset). Without this the baseline stays where it was when the step
        began, and after a long step the process has moved on: its return would look like a fault.
        """
        run = self._dev_run
        if run <= 2:
            self._offset = residual
        elif run <= 6:
            self._offset += (residual - self._offset) / (run - 1)
        else:
            limit = 2.5 * self._sigma
            error = residual - self._offset
            error = error if -limit <= error <= limit else (limit if error > 0 else -limit)
            self._level += self.level_alpha * error

    def _end_deviation(self) -> None:
        self._dev_run = 0
        self._quiet = 0
        self._up = self._down = 0.0

    def _band_verdict(self, value: float, rscale: float) -> Verdict:
        """out_of_band after `oob_readings` readings in a row outside the configured band."""
        band = self.band
        if band is None:
            return _NORMAL
        if value < band[0]:
            beyond = value - band[0]
        elif value > band[1]:
            beyond = value - band[1]
        else:
            self._oob_run = 0
            return _NORMAL
        self._oob_run += 1
        if self._oob_run < self.oob_readings:
            return _NORMAL
        return (True, round(beyond / rscale, 2), "out_of_band")

    def _learn(self, residual: float, jump: float) -> None:
        """Move the baseline and the scales toward a reading judged normal (clipped steps)."""
        sigma = self._sigma
        limit = 2.5 * sigma
        step = residual if -limit <= residual <= limit else (limit if residual > 0 else -limit)
        self._level += self.level_alpha * step
        self._since_scale += 1
        if self._since_scale >= (SCALE_EVERY if self._n > 8 * SCALE_RING else 4):
            self._since_scale = 0
            recent = self._recent
            recent[self._slot] = residual if residual >= 0 else -residual
            self._slot = (self._slot + 1) % SCALE_RING
            self._sigma = max(_median(recent) * MAD_TO_SD, self._floor)
        dscale = self._dscale
        jump = jump if jump < 3.0 * dscale else 3.0 * dscale
        self._dscale = dscale + 0.002 * (jump - dscale)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
