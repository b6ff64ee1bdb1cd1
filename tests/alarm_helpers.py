"""Helpers of the alarm tests: a quiet simulator stream with one injected fault."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sensor_tui.alarming.commands import AlarmCommand
from sensor_tui.model.events import Event
from sensor_tui.model.readings import Reading
from sensor_tui.model.tags import Config, SimulatorSettings
from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.simulator import Simulator
from sensor_tui.storage import Reader
from sensor_tui.storage.alarm_reads import journal, list_alarms

WARM = 200


def quiet(config: Config) -> Config:
    """The config without random spikes: every alarm then comes from an injected fault."""
    return replace(config, simulator=SimulatorSettings(spike_rate=0.0))


def scenario(
    config: Config,
    faults: dict[int, tuple[str, str, int]],
    ticks: int,
    seed: int = 11,
    start: datetime | None = None,
) -> tuple[list[Reading], list[Event]]:
    """One continuous quiet stream of `ticks` readings per tag at 1 Hz, ending about now, with
    `faults` injected: {tick: (tag, kind, duration in readings)}. One stream, so no detector
    sees a jump between two made-up histories."""
    events: dict[str, Event] = {}
    sim = Simulator(quiet(config), seed=seed, on_event=lambda e: events.__setitem__(e.id, e))
    first = start or datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=ticks + 5)
    readings: list[Reading] = []
    for i in range(ticks):
        if i in faults:
            sim.inject(*faults[i])
        readings.extend(sim.next_batch(first + timedelta(seconds=i)))
    return readings, list(events.values())


def fault_stream(
    config: Config,
    kind: str = "step",
    tag: str = "fermenter_temp",
    duration: int = 300,
    after: int = 120,
    seed: int = 11,
    start: datetime | None = None,
) -> tuple[list[Reading], list[Event]]:
    """WARM quiet readings per tag, a fault of `duration` readings on `tag`, `after` more."""
    return scenario(config, {WARM: (tag, kind, duration)}, WARM + duration + after, seed, start)


def store_stream(
    pipeline: Pipeline, readings: list[Reading], events: list[Event], chunk: int = 30
) -> None:
    """Events first, then the readings in commits of `chunk` (ten seconds of three tags, as a
    live run commits them), through the real pipeline; waits until all are committed."""
    for event in events:
        pipeline.record_event(event)
    for i in range(0, len(readings), chunk):
        pipeline.submit_readings(readings[i : i + chunk]).result(timeout=60)
    assert pipeline.flush(30)


def alarms_in(db: Path, **filters: Any) -> list[dict[str, Any]]:
    """The alarms table, read-only."""
    reader = Reader(db)
    try:
        return list_alarms(reader, **filters)
    finally:
        reader.close()


def journal_of(db: Path, alarm_id: str) -> list[dict[str, Any]]:
    """One alarm's journal, read-only."""
    reader = Reader(db)
    try:
        return journal(reader, alarm_id)
    finally:
        reader.close()


def command(pipeline: Pipeline, action: str, *ids: str, **kw: Any) -> list[Any]:
    """Submit a command and wait for the commit."""
    return pipeline.alarm_command(AlarmCommand(action, ids, **kw)).result(timeout=10)
