"""The unit stage: readings become unit observations, judged by each unit's detector.

It runs on the writer thread (the one writer: the reference it learns and the statistics it makes
are written on the writer's connection, in the transaction of the readings that made them). A
batch is observed once, when the writer first takes it; its retries are not observed again.

**Observations.** Tags of a unit arrive at different moments (one MQTT topic per tag, an OPC UA
server's data changes). An observation is formed as soon as *every* tag of the unit has a reading
newer than the last observation: it holds each tag's latest value and the newest of their
timestamps. So the slowest tag paces the unit, no value is ever judged twice, and a tag that stops
reporting stops the unit's observations instead of feeding a frozen value into the relations. The
simulator and a CSV import give every tag the same timestamps, so there it is one observation per
timestamp.

**Reference.** A unit with a stored reference (`unit_references`) loads it at start. Otherwise it
learns from its first `Unit.warmup` observations (the warm-up, judged by nothing) and stores what
it learned; an operator replaces it with a period known to be normal (`refit`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sensor_tui.alarming.unit_alarms import UnitAlarmTracker
from sensor_tui.detection.unit_base import UnitDetector, UnitVerdict
from sensor_tui.model.readings import Reading, now_ts
from sensor_tui.model.tags import Config
from sensor_tui.model.units import Unit
from sensor_tui.storage import Store, StoreUnavailable
from sensor_tui.storage.units import Reference, UnitRows

log = logging.getLogger(__name__)


def make_detector(unit: Unit) -> UnitDetector:
    """The unit's detector from the registry (ValueError for an unknown name)."""
    from sensor_tui.detection.unit_registry import make_unit_detector

    detector: UnitDetector = make_unit_detector(unit.detector, unit.tags)
    return detector


class ObservationFormer:
    """Latest value per tag; an observation once every tag is newer than the last one."""

    def __init__(self, tags: Sequence[str]) -> None:
        self.index = {tag: i for i, tag in enumerate(tags)}
        self.values = [0.0] * len(tags)
        self.fresh = [False] * len(tags)
        self.waiting = len(tags)
        self.stamp = ""

    def add(self, tag: str, timestamp: str, value: float) -> tuple[str, list[float]] | None:
        """Take one reading; returns (timestamp, values in tag order) when it completes one."""
        i = self.index[tag]
        self.values[i] = value
        if timestamp > self.stamp:
            self.stamp = timestamp
        if not self.fresh[i]:
            self.fresh[i] = True
            self.waiting -= 1
            if self.waiting == 0:
                self.fresh = [False] * len(self.fresh)
                self.waiting = len(self.fresh)
                return self.stamp, list(self.values)
        return None

    def add_many(self, readings: Iterable[Reading]) -> tuple[list[str], list[list[float]]]:
        """`add` for each reading in turn (other tags' readings skipped): the timestamps and
        values of the observations they complete. One loop with local names, because an import
        passes every reading through it."""
        index, values, fresh = self.index, self.values, self.fresh
        waiting, stamp, width = self.waiting, self.stamp, len(self.fresh)
        stamps: list[str] = []
        rows: list[list[float]] = []
        for reading in readings:
            i = index.get(reading.tag)
            if i is None:
                continue
            values[i] = reading.value
            if reading.timestamp > stamp:
                stamp = reading.timestamp
            if not fresh[i]:
                fresh[i] = True
                waiting -= 1
                if waiting == 0:
                    fresh = [False] * width
                    waiting = width
                    stamps.append(stamp)
                    rows.append(values[:])
        self.fresh, self.waiting, self.stamp = fresh, waiting, stamp
        return stamps, rows


def observations(
    tags: Sequence[str], readings: Iterable[tuple[str, str, float]]
) -> tuple[list[str], np.ndarray]:
    """(timestamps, observations array) from (timestamp, tag, value) in time order: the same
    alignment as live, for a reference fitted on stored readings."""
    former = ObservationFormer(tags)
    stamps: list[str] = []
    rows: list[list[float]] = []
    for timestamp, tag, value in readings:
        made = former.add(tag, timestamp, value)
        if made is not None:
            stamps.append(made[0])
            rows.append(made[1])
    return stamps, np.asarray(rows, dtype=float).reshape(len(rows), len(tags))


def learn(
    unit: Unit,
    detector: UnitDetector,
    rows: np.ndarray,
    since: str | None,
    until: str | None,
    origin: str,
) -> Reference:
    """Fit `detector` on these observations; the Reference to store (ValueError: too few)."""
    needed = 2 * len(unit.tags)
    if len(rows) < needed:
        raise ValueError(
            f"unit {unit.name}: {len(rows)} observations is too few to learn from "
            f"(at least {needed}: each of its tags read that often in the period)"
        )
    detector.fit(rows)
    return Reference(unit.name, unit.detector, unit.tags, detector.state(), since, until,
                     len(rows), origin, now_ts())  # fmt: skip


@dataclass(slots=True)
class _UnitState:
    unit: Unit
    detector: UnitDetector
    former: ObservationFormer
    tracker: UnitAlarmTracker
    warmup: list[tuple[str, list[float]]] = field(default_factory=list)
    reference: Reference | None = None


class UnitStage:
    """Every configured unit's observation former, detector, warm-up and alarm tracker."""

    def __init__(self, config: Config) -> None:
        self.units: dict[str, _UnitState] = {}
        for unit in config.units:
            self.units[unit.name] = _UnitState(
                unit,
                make_detector(unit),
                ObservationFormer(unit.tags),
                UnitAlarmTracker(unit.name, unit.tags),
            )
        self._pending = UnitRows()
        self.seconds = 0.0
        """Time spent judging observations (the cost per observation is reported)."""
        self.cpu_seconds = 0.0
        """The same in CPU time of the writer thread (what it costs on a busy machine)."""
        self.judged = 0

    def load(self, references: dict[str, Reference]) -> None:
        """Restore stored references (a restart keeps what was learned); a reference for other
        tags or another detector is ignored and the unit learns again."""
        for name, state in self.units.items():
            ref = references.get(name)
            if ref is None or ref.tags != state.unit.tags or ref.detector != state.unit.detector:
                continue
            try:
                state.detector.load_state(ref.state)
            except Exception:  # a reference the detector cannot read: learn again, do not stop
                log.exception("unit %s: stored reference unusable; learning a new one", name)
                continue
            state.reference, state.warmup = ref, []

    def observe(self, readings: Sequence[Reading]) -> None:
        """Form and judge the unit observations these readings complete (time order)."""
        for state in self.units.values():
            stamps, rows = state.former.add_many(readings)
            if stamps:
                self._judge_many(state, stamps, rows)

    def _judge_many(self, state: _UnitState, stamps: list[str], rows: list[list[float]]) -> None:
        """Warm up on the first observations, judge the rest (in one call when the detector
        judges many at once: an import's cost), feed the verdicts to the unit's alarms."""
        first = 0
        while first < len(rows) and not state.detector.fitted:
            self._warm_up(state, stamps[first], rows[first])
            first += 1
        stamps, rows = stamps[first:], rows[first:]
        if not rows:
            return
        started, started_cpu = time.perf_counter(), time.thread_time()
        verdicts = self._verdicts(state, rows)
        self.cpu_seconds += time.thread_time() - started_cpu
        self.seconds += time.perf_counter() - started
        name, feed = state.unit.name, state.tracker.feed
        judged = [(stamp, v) for stamp, v in zip(stamps, verdicts, strict=True) if v is not None]
        self.judged += len(judged)
        for stamp, verdict in judged:
            feed(stamp, verdict)
        self._pending.scores += [
            (name, stamp, float(v.statistic), float(v.limit), int(v.is_anomaly))
            for stamp, v in judged
        ]

    def _verdicts(self, state: _UnitState, rows: list[list[float]]) -> list[UnitVerdict | None]:
        """The detector's verdicts; a plug-in's bug costs the verdict, never the readings."""
        detector = state.detector
        update_many = getattr(detector, "update_many", None)
        if update_many is not None:
            try:
                return list(update_many(np.asarray(rows, dtype=float)))
            except Exception:  # a refused batch changed nothing: judge one by one instead
                log.exception("unit %s: batch refused, judging one by one", state.unit.name)
        verdicts: list[UnitVerdict | None] = []
        for values in rows:
            try:
                verdicts.append(detector.update(np.asarray(values, dtype=float)))
            except Exception:
                log.exception("unit detector for %s failed on an observation", state.unit.name)
                verdicts.append(None)
        return verdicts

    def _warm_up(self, state: _UnitState, stamp: str, values: list[float]) -> None:
        state.warmup.append((stamp, values))
        if len(state.warmup) >= state.unit.warmup:
            rows = state.warmup
            self.fit(state.unit.name, np.asarray([v for _, v in rows]), rows[0][0],
                     rows[-1][0], "warm-up")  # fmt: skip

    def fit(
        self, name: str, reference: np.ndarray, since: str | None, until: str | None, origin: str
    ) -> Reference:
        """Learn the unit's reference from these observations (see `learn`) and queue it to be
        stored with the next write."""
        state = self.units[name]
        ref = learn(state.unit, state.detector, reference, since, until, origin)
        self._adopt(state, ref)
        self._pending.references.append(ref)
        return ref

    def refit(self, name: str, store: Store, since: str | None, until: str | None) -> Reference:
        """The operator marked [since, until) as normal: learn from the readings stored then,
        and store the reference now (writer thread only: the writer's connection)."""
        state = self.units[name]
        readings = store.unit_readings(state.unit.tags, since, until)
        _, rows = observations(state.unit.tags, readings)
        ref = learn(state.unit, state.detector, rows, since, until, "operator")
        self._adopt(state, ref)
        try:
            store.save_unit_reference(ref)
        except StoreUnavailable:
            self._pending.references.append(ref)  # stored with the next write that works
            raise
        return ref

    def _adopt(self, state: _UnitState, ref: Reference) -> None:
        """The unit is judged against `ref` from now on; an open unit alarm ends (it was judged
        against the old reference)."""
        state.reference, state.warmup = ref, []
        state.tracker.close()

    def take(self) -> UnitRows:
        """What to write with the next transaction (alarm rows of changed episodes included)."""
        for state in self.units.values():
            self._pending.alarms.extend(state.tracker.take_rows())
        pending, self._pending = self._pending, UnitRows()
        # one row per alarm (the newest), or a requeued row would be journalled twice
        pending.alarms = list({row["id"]: row for row in pending.alarms}.values())
        return pending

    def requeue(self, writes: UnitRows) -> None:
        """Their write failed: write them with the next one (older first)."""
        self._pending.scores[:0] = writes.scores
        self._pending.references[:0] = writes.references
        self._pending.alarms[:0] = writes.alarms

    def close_all(self) -> None:
        """Shutting down: every open unit alarm ends."""
        for state in self.units.values():
            state.tracker.close()

    def status(self, name: str) -> tuple[int, int] | None:
        """(observations learned so far, needed) while a unit warms up; None once fitted."""
        state = self.units[name]
        return None if state.detector.fitted else (len(state.warmup), state.unit.warmup)
