"""Labelled processes drawn from families, for the detection benchmark (issue 9).

The built-in simulator has one kind of process (a slow sine plus a slow wander), so a detector
tuned on it learns that process rather than process sensors. Here each scenario's process is
drawn from a family: slow or fast wander, a daily cycle, a warm-up or a cool-down ramp, a
quantised sensor, with a noise level drawn over a decade, at 1 s or 5 min intervals. Faults of the
five kinds are injected at random moments (never overlapping on one tag), with sizes relative to
the tag's normal band as the simulator's are, and labelled. Durations count readings.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FAMILIES = ("slow_wander", "fast_wander", "daily_cycle", "warm_up", "cool_down", "quantised")
INTERVALS = (1.0, 300.0)
FAULT_KINDS = ("spike", "step", "drift", "stuck", "noise")
FAULT_DURATION = {"spike": 1, "step": 300, "drift": 240, "stuck": 120, "noise": 60}
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

    def timestamps(self) -> list[datetime]:
        """Reading times from START at the scenario's interval."""
        return [START + timedelta(seconds=i * self.interval) for i in range(len(self.values))]


def _process(family: str, n: int, interval: float, rng: random.Random) -> list[float]:
    """The fault-free process, inside the band [0, 100], before noise."""
    low, high = BAND
    width = high - low
    centre = low + width * rng.uniform(0.35, 0.65)
    wander, out = 0.0, []
    tau = {"slow_wander": 3000.0, "fast_wander": 300.0}.get(family, 2000.0)
    spread = {"slow_wander": 0.08, "fast_wander": 0.06}.get(family, 0.03) * width
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


def generate(
    seed: int, family: str, interval: float, n: int, faults_per_hour: float, quiet: int = 600
) -> Scenario:
    """One labelled scenario (faults about `faults_per_hour` per 3,600 readings)."""
    rng = random.Random(seed)
    width = BAND[1] - BAND[0]
    base = _process(family, n, interval, rng)
    sigma = width * 10 ** rng.uniform(-2.3, -1.5)  # 0.5% to 3% of the band
    quantum = sigma * rng.uniform(0.5, 3.0) if family == "quantised" else 0.0
    values = [b + rng.gauss(0.0, sigma) for b in base]
    faults: list[Fault] = []
    i = quiet
    chance = faults_per_hour / 3600.0
    while i < n:
        if rng.random() < chance:
            kind = rng.choice(FAULT_KINDS)
            length = FAULT_DURATION[kind]
            end = min(n - 1, i + length - 1)
            _inject(values, base, kind, i, end, width, sigma, rng)
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
    return Scenario(name, family, interval, values, faults)


def _inject(
    values: list[float],
    base: list[float],
    kind: str,
    start: int,
    end: int,
    width: float,
    sigma: float,
    rng: random.Random,
) -> None:
    sign = rng.choice((-1.0, 1.0))
    length = end - start + 1
    if kind == "spike":
        values[start] += sign * rng.uniform(0.6, 1.0) * width * 0.5
    elif kind == "step":
        offset = sign * rng.uniform(0.2, 0.4) * width
        for k in range(start, end + 1):
            values[k] += offset
    elif kind == "drift":
        total = sign * rng.uniform(0.3, 0.5) * width
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
