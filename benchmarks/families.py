"""Labelled processes drawn from families, for the detection benchmark.

The built-in simulator has one kind of process (a slow sine plus a slow wander), so a detector
tuned on it learns that process rather than process sensors. Here each scenario's process is
drawn from a family: slow or fast wander, a daily cycle, a warm-up or a cool-down ramp, a
quantised sensor, with a noise level drawn over a decade, at 1 s or 5 min intervals. Faults of the
five kinds are injected at random moments (never overlapping on one tag), with sizes relative to
the tag's normal band as the simulator's are, and labelled. Durations count readings.

Two families widen the fault shapes (`WIDENED`), for alarms that must end with their fault:

- `simulator`: the built-in simulator's process (slow sine and mean-reverting wander, noise 2% of
  the band) and its fault sizes (drifts of 50-80% of the band, which end with a jump back and
  may leave the band; steps of 35-60%);
- `restarts`: a slowly wandering process that, every couple of hours, pauses (a gap in the
  timestamps of 30 to 600 intervals: a restart) and resumes at another level inside the band.
  The restart is not a fault: an alarm on it is a false alarm.

In both, a step lasts from 5 to 1,000 readings and is flat (no noise, a held excursion) one time
in two, a drift lasts 120 to 600 readings, and noise bursts come back on the same tag.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sensor_tui.model.faults import TAG_FAULTS
from sensor_tui.sources.simulator import FAULT_DURATION as SIM_DURATION

FAMILIES = (
    "slow_wander",
    "fast_wander",
    "daily_cycle",
    "warm_up",
    "cool_down",
    "quantised",
    "simulator",
    "restarts",
)
WIDENED = ("simulator", "restarts")
INTERVALS = (1.0, 300.0)
FAULT_KINDS = TAG_FAULTS
FAULT_DURATION = {kind: SIM_DURATION[kind] for kind in TAG_FAULTS}
START = datetime(2026, 1, 5, tzinfo=UTC)
BAND = (0.0, 100.0)


@dataclass(frozen=True, slots=True)
class Fault:
    """A labelled fault: kind and the reading indices [start, end] it covers."""

    kind: str
    start: int
    end: int


@dataclass(slots=True)
class Scenario:
    """One tag's labelled stream."""

    name: str
    family: str
    interval: float
    values: list[float]
    faults: list[Fault]
    gaps: list[tuple[int, int]] = field(default_factory=list)
    """(index, intervals): a pause of that many intervals before the reading at index."""

    def timestamps(self) -> list[datetime]:
        """Reading times from START at the scenario's interval (plus the pauses of `gaps`)."""
        pauses = dict(self.gaps)
        out, extra = [], 0
        for i in range(len(self.values)):
            extra += pauses.get(i, 0)
            out.append(START + timedelta(seconds=(i + extra) * self.interval))
        return out


def _process(family: str, n: int, interval: float, rng: random.Random) -> list[float]:
    """The fault-free process, inside the band [0, 100], before noise."""
    low, high = BAND
    width = high - low
    centre = low + width * rng.uniform(0.35, 0.65)
    wander, out = 0.0, []
    if family == "simulator":
        return _simulator_process(n, rng)
    tau = {"slow_wander": 3000.0, "fast_wander": 300.0, "restarts": 3000.0}.get(family, 2000.0)
    spread = {"slow_wander": 0.08, "fast_wander": 0.06, "restarts": 0.05}.get(family, 0.03) * width
    kick = spread * math.sqrt(2.0 / tau)
    day = 86400.0 / interval
    phase = rng.uniform(0.0, 2 * math.pi)
    amplitude = rng.uniform(0.1, 0.25) * width
    ramp_at = rng.uniform(0.1, 0.4) * n
    ramp_tau = rng.uniform(0.05, 0.15) * n
    ramp = rng.uniform(0.2, 0.4) * width * (1 if family == "warm_up" else -1)
    for i in range(n):
        wander += -wander / tau + rng.gauss(0.0, kick)
        value = centre + wander
        if family == "daily_cycle":
            value += amplitude * math.sin(2 * math.pi * i / day + phase)
        elif family in ("warm_up", "cool_down") and i >= ramp_at:
            value += ramp * (1.0 - math.exp(-(i - ramp_at) / ramp_tau)) - ramp / 2
        elif family in ("warm_up", "cool_down"):
            value -= ramp / 2
        out.append(min(high, max(low, value)))
    return out


def _simulator_process(n: int, rng: random.Random) -> list[float]:
    """The built-in simulator's process (`sources/simulator.py`): slow sine plus wander."""
    low, high = BAND
    width = high - low
    centre = (low + high) / 2
    period = rng.uniform(1800.0, 5400.0)
    phase = rng.uniform(0.0, 2 * math.pi)
    wander, out = 0.0, []
    for i in range(n):
        wander += -0.002 * wander + rng.gauss(0.0, 0.0036 * width)
        slow = 0.22 * width * math.sin(2 * math.pi * i / period + phase)
        out.append(min(high - 0.05 * width, max(low + 0.05 * width, centre + slow + wander)))
    return out


def _restart(values: list[float], base: list[float], at: int, rng: random.Random) -> None:
    """From `at` on, the process resumes 5% to 15% of the band away, toward the band's middle."""
    middle = (BAND[0] + BAND[1]) / 2
    shift = rng.uniform(0.05, 0.15) * (BAND[1] - BAND[0])
    shift = shift if base[at] < middle else -shift
    for k in range(at, len(values)):
        values[k] += shift
        base[k] += shift


def generate(
    seed: int, family: str, interval: float, n: int, faults_per_hour: float, quiet: int = 600
) -> Scenario:
    """One labelled scenario (faults about `faults_per_hour` per 3,600 readings)."""
    rng = random.Random(seed)
    width = BAND[1] - BAND[0]
    base = _process(family, n, interval, rng)
    widened = family in WIDENED
    sigma = 0.02 * width if family == "simulator" else width * 10 ** rng.uniform(-2.3, -1.5)
    quantum = sigma * rng.uniform(0.5, 3.0) if family == "quantised" else 0.0
    values = [b + rng.gauss(0.0, sigma) for b in base]
    faults: list[Fault] = []
    gaps: list[tuple[int, int]] = []
    i = quiet
    chance = faults_per_hour / 3600.0
    while i < n:
        if family == "restarts" and rng.random() < 1.0 / 7200.0:
            gaps.append((i, rng.randint(30, 600)))
            _restart(values, base, i, rng)
            i += 600  # the detector re-learns; a fault right after a restart is another test
        elif rng.random() < chance:
            kind = rng.choice(FAULT_KINDS)
            length = _length(kind, rng) if widened else FAULT_DURATION[kind]
            end = min(n - 1, i + length - 1)
            _inject(values, base, kind, i, end, width, sigma, rng, family)
            faults.append(Fault(kind, i, end))
            i = end + 120  # a normal stretch between faults
        i += 1
    if quantum:
        values = [round(v / quantum) * quantum for v in values]
        for fault in faults:  # a stuck sensor holds the value it last reported, exactly
            if fault.kind == "stuck":
                held = values[fault.start - 1]
                for k in range(fault.start, fault.end + 1):
                    values[k] = held
    values = [round(v, 4) for v in values]
    name = f"{family}-{int(interval)}s-{seed}"
    return Scenario(name, family, interval, values, faults, gaps)


def _length(kind: str, rng: random.Random) -> int:
    """A widened fault's length: steps of 5 to 1,000 readings, drifts of 120 to 600."""
    if kind == "step":
        return round(5 * 200 ** rng.random())
    if kind == "drift":
        return rng.randint(120, 600)
    return FAULT_DURATION[kind]


def _inject(
    values: list[float],
    base: list[float],
    kind: str,
    start: int,
    end: int,
    width: float,
    sigma: float,
    rng: random.Random,
    family: str = "",
) -> None:
    sign = rng.choice((-1.0, 1.0))
    length = end - start + 1
    big = family == "simulator"  # the simulator's own fault sizes
    if kind == "spike":
        values[start] += sign * rng.uniform(0.6, 1.0) * width * (1.0 if big else 0.5)
    elif kind == "step":
        offset = sign * (rng.uniform(0.35, 0.6) if big else rng.uniform(0.2, 0.4)) * width
        flat = family in WIDENED and rng.random() < 0.5  # a held excursion: no noise
        held = base[start] + offset
        for k in range(start, end + 1):
            values[k] = held if flat else values[k] + offset
    elif kind == "drift":
        total = sign * (rng.uniform(0.5, 0.8) if big else rng.uniform(0.3, 0.5)) * width
        for k in range(start, end + 1):
            values[k] += total * (k - start + 1) / length
    elif kind == "stuck":
        held = values[start - 1]
        for k in range(start, end + 1):
            values[k] = held
    elif kind == "noise":
        for k in range(start, end + 1):
            values[k] = base[k] + rng.gauss(0.0, 6.0 * sigma)


def scenarios(seeds: int, readings: int, faults_per_hour: float) -> list[Scenario]:
    """Every family at both intervals, `seeds` times."""
    out = []
    for s in range(seeds):
        for f, family in enumerate(FAMILIES):
            for k, interval in enumerate(INTERVALS):
                seed = 1000 * s + 10 * f + k
                out.append(generate(seed, family, interval, readings, faults_per_hour))
    return out
