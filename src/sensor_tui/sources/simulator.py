"""The sensor simulator: a slowly varying process per tag, noise, random spikes, injected faults.

Each tag's true process is a slow sine (tens of minutes) plus an Ornstein-Uhlenbeck wander, both
kept inside the normal band, plus Gaussian measurement noise. The tags of a configured unit share
that process, as a fermenter's do (`sources.coupling`): agitation and temperature move together and
pH follows temperature, so the unit has relations to learn, and the `decouple` fault breaks one
without taking the tag out of its band. Faults are injected on demand (keys,
HTTP, tests, benchmarks) and every fault, random spikes included, is reported as an `Event`: the
ground truth the detector is judged against. Durations count readings, not seconds, so a scenario
generated at full speed for a benchmark behaves exactly like one played live at 1 Hz.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sensor_tui.model.events import Event
from sensor_tui.model.faults import INJECTABLE, TAG_FAULTS, FaultKind
from sensor_tui.model.readings import Reading, format_ts
from sensor_tui.model.tags import Config, Tag
from sensor_tui.sources.coupling import UnitProcess, decoupled
from sensor_tui.sources.simulator_thread import SimulatorThread

__all__ = ["FAULT_DURATION", "FAULT_KINDS", "Simulator", "SimulatorThread", "generate_scenario"]

TAG_FAULT_KINDS = TAG_FAULTS
"""Faults one tag shows on its own (`model.faults.TAG_FAULTS`); scenarios draw these."""

FAULT_KINDS = INJECTABLE
"""Faults the simulator can inject (`model.faults.INJECTABLE`). `decouple` breaks the tag's
relation to its unit and keeps it in its normal band: only a unit detector sees it."""

FAULT_DURATION: dict[str, int] = {
    FaultKind.SPIKE: 1, FaultKind.STEP: 300, FaultKind.DRIFT: 240, FaultKind.STUCK: 120,
    FaultKind.NOISE: 60, FaultKind.DECOUPLE: 180,
}  # fmt: skip
"""Default length of each fault, in readings of the faulty tag."""


@dataclass(slots=True)
class _Fault:
    kind: str
    remaining: int
    total: int
    sign: float
    magnitude: float
    event: Event
    held: float | None = None


@dataclass(slots=True)
class _TagState:
    tag: Tag
    period: float
    phase: float
    wander: float = 0.0
    last: float = 0.0
    faults: list[_Fault] = field(default_factory=list)


class Simulator:
    """Generates one reading per tag per call to `next_batch`; thread-safe only via its caller.

    `on_event` is called with each Event when a fault starts and again when it ends, so that the
    `events` table shows faults in progress.
    """

    def __init__(
        self,
        config: Config,
        seed: int | None = None,
        on_event: Callable[[Event], None] | None = None,
        source: str = "sim",
    ) -> None:
        self.config = config
        self.rng = random.Random(seed)
        self.on_event = on_event or (lambda event: None)
        self.source = source
        self.tick = 0
        self._states = {
            tag.name: _TagState(
                tag,
                period=self.rng.uniform(1800.0, 5400.0),
                phase=self.rng.uniform(0.0, 2 * math.pi),
            )
            for tag in config.tags
        }
        self._unit = UnitProcess(config, seed)
        """The shared process of the unit tags (its own random stream: the per-tag draws, and
        so the per-tag scenarios, keep their sequence)."""

    def inject(
        self, tag: str, kind: str, duration: int | None = None, source: str = "key"
    ) -> Event:
        """Start a fault on a tag from the next reading on; returns its Event (end not yet set)."""
        state = self._states.get(tag)
        if state is None:
            raise ValueError(f"unknown tag {tag!r}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        length = max(1, duration or FAULT_DURATION[kind])
        magnitude = self._magnitude(kind, state.tag)
        event = Event(kind, start="", tag=tag, source=source, detail=f"{length} readings")
        sign = self.rng.choice((-1.0, 1.0))
        state.faults.append(_Fault(kind, length, length, sign, magnitude, event))
        return event

    def _magnitude(self, kind: str, tag: Tag) -> float:
        width = tag.band_width
        return {
            FaultKind.SPIKE: self.rng.uniform(0.6, 1.0) * width,
            FaultKind.STEP: self.rng.uniform(0.35, 0.6) * width,
            FaultKind.DRIFT: self.rng.uniform(0.5, 0.8) * width,
            FaultKind.NOISE: 6.0,
            FaultKind.STUCK: 0.0,
            FaultKind.DECOUPLE: 0.25 * width,
        }[FaultKind(kind)]

    def active_faults(self) -> list[Event]:
        """Faults in progress, for the status line."""
        return [fault.event for state in self._states.values() for fault in state.faults]

    def next_batch(self, moment: datetime | None = None) -> list[Reading]:
        """One reading per tag at `moment` (now if None)."""
        stamp = format_ts(moment or datetime.now(UTC))
        if self.config.simulator.spike_rate > 0:
            for state in self._states.values():
                if self.rng.random() < self.config.simulator.spike_rate:
                    self.inject(state.tag.name, FaultKind.SPIKE, source="random")
        self._unit.step()
        readings = [self._reading(state, stamp) for state in self._states.values()]
        self.tick += 1
        return readings

    def _baseline(self, state: _TagState) -> float:
        tag = state.tag
        low, high = tag.normal
        centre, width = (low + high) / 2, tag.band_width
        # Ornstein-Uhlenbeck wander: mean-reverting, about 8% of the band in spread.
        state.wander += -0.002 * state.wander + self.rng.gauss(0.0, 0.0036 * width)
        slow = 0.22 * width * math.sin(2 * math.pi * self.tick / state.period + state.phase)
        shared = self._unit.level(tag.name)
        if shared is not None:  # a unit's tag: the unit's process, in this tag's band
            slow, state.wander = shared * width, 0.0
        return min(high - 0.05 * width, max(low + 0.05 * width, centre + slow + state.wander))

    def _reading(self, state: _TagState, stamp: str) -> Reading:
        tag = state.tag
        sigma = self.config.simulator.noise * tag.band_width
        base = self._baseline(state)
        noise_factor, offset, held = 1.0, 0.0, None
        for fault in state.faults:
            if fault.remaining == fault.total:
                fault.event.start = stamp
                self.on_event(fault.event)
            done = (fault.total - fault.remaining + 1) / fault.total
            if fault.kind == FaultKind.SPIKE or fault.kind == FaultKind.STEP:
                offset += fault.sign * fault.magnitude
            elif fault.kind == FaultKind.DRIFT:
                offset += fault.sign * fault.magnitude * done
            elif fault.kind == FaultKind.NOISE:
                noise_factor *= fault.magnitude
            elif fault.kind == FaultKind.STUCK:
                fault.held = state.last if fault.held is None else fault.held
                held = fault.held
            elif fault.kind == FaultKind.DECOUPLE:
                base = decoupled(base, tag.normal, fault.magnitude)
        value = base + offset + self.rng.gauss(0.0, sigma * noise_factor)
        if held is not None:
            value = held
        value = min(tag.valid[1], max(tag.valid[0], value))
        state.last = value
        self._retire(state, stamp)
        return Reading(tag.name, stamp, round(value, 4), self.source)

    def _retire(self, state: _TagState, stamp: str) -> None:
        for fault in state.faults:
            fault.remaining -= 1
            if fault.remaining == 0:
                fault.event.end = stamp
                self.on_event(fault.event)
        state.faults = [fault for fault in state.faults if fault.remaining > 0]


def generate_scenario(
    config: Config,
    seed: int,
    readings_per_tag: int,
    start: datetime,
    interval: float = 1.0,
    faults_per_hour: float = 0.0,
    quiet_start: int = 0,
) -> tuple[list[Reading], list[Event]]:
    """A labelled stream for benchmarks and tests: readings plus the events that are its truth.

    Faults of every kind are injected at random moments (about `faults_per_hour` per tag-hour),
    never overlapping another fault on the same tag, and not in the first `quiet_start` readings
    (a detector's warm-up: a plant's history starts before the stretch being scored).
    """
    events: dict[str, Event] = {}
    sim = Simulator(config, seed=seed, on_event=lambda e: events.__setitem__(e.id, e))
    chooser = random.Random(seed + 7919)
    chance = faults_per_hour * interval / 3600.0
    readings: list[Reading] = []
    for i in range(readings_per_tag):
        for name, state in sim._states.items():
            if not state.faults and chooser.random() < chance and i >= quiet_start:
                kind = chooser.choice(TAG_FAULT_KINDS)
                sim.inject(name, kind, source="scenario")
        readings.extend(sim.next_batch(start + timedelta(seconds=i * interval)))
    return readings, list(events.values())
