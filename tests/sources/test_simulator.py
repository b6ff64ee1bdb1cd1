"""The simulator: a slow process in the band, noise, spikes, injected faults."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sensor_tui.model.events import Event
from sensor_tui.model.tags import Config, SimulatorSettings
from sensor_tui.sources.simulator import FAULT_KINDS, Simulator, generate_scenario

START = datetime(2026, 1, 1, tzinfo=UTC)


def quiet(config: Config) -> Config:
    return replace(config, simulator=SimulatorSettings(spike_rate=0.0))


def run(sim: Simulator, n: int) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    for i in range(n):
        for reading in sim.next_batch(START + timedelta(seconds=i)):
            series.setdefault(reading.tag, []).append(reading.value)
    return series


def test_one_reading_per_tag_per_tick(config: Config) -> None:
    batch = Simulator(config, seed=1).next_batch(START)
    assert [r.tag for r in batch] == list(config.tag_names)
    assert {r.timestamp for r in batch} == {"2026-01-01T00:00:00.000000Z"}
    assert {r.source for r in batch} == {"sim"}


def test_same_seed_same_readings(config: Config) -> None:
    assert run(Simulator(config, seed=7), 200) == run(Simulator(config, seed=7), 200)
    assert run(Simulator(config, seed=7), 200) != run(Simulator(config, seed=8), 200)


def test_process_stays_in_the_normal_band_and_varies(config: Config) -> None:
    series = run(Simulator(quiet(config), seed=3), 3600)
    for tag in config.tags:
        values = series[tag.name]
        inside = sum(tag.normal[0] <= v <= tag.normal[1] for v in values) / len(values)
        assert inside > 0.97, tag.name
        assert statistics.pstdev(values) > 0.01 * tag.band_width  # it is not flat


def test_random_spikes_at_the_configured_rate(config: Config) -> None:
    events: list[Event] = []
    cfg = replace(config, simulator=SimulatorSettings(spike_rate=0.05))
    sim = Simulator(cfg, seed=5, on_event=events.append)
    run(sim, 2000)
    spikes = {e.id for e in events if e.kind == "spike" and e.source == "random"}
    assert 0.035 * 6000 < len(spikes) < 0.065 * 6000


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_injected_fault_is_reported_with_start_and_end(config: Config, kind: str) -> None:
    events: list[Event] = []
    sim = Simulator(quiet(config), seed=2, on_event=events.append)
    run(sim, 5)
    event = sim.inject("fermenter_temp", kind, duration=10)
    assert event.start == ""  # starts with the next reading
    run(sim, 12)
    assert events[0] is event and event.tag == "fermenter_temp" and event.kind == kind
    assert event.start and event.end and event.start <= event.end
    assert sim.active_faults() == []


def test_fault_shapes(config: Config) -> None:
    sim = Simulator(quiet(config), seed=4)
    before = run(sim, 50)["agitator_rpm"]
    sim.inject("agitator_rpm", "stuck", duration=20)
    stuck = run(sim, 20)["agitator_rpm"]
    assert len(set(stuck)) == 1 and stuck[0] == before[-1]
    sim.inject("agitator_rpm", "spike")
    spike = run(sim, 1)["agitator_rpm"][0]
    assert abs(spike - stuck[-1]) > 0.5 * 300
    sim.inject("agitator_rpm", "noise", duration=60)
    noisy = run(sim, 60)["agitator_rpm"]
    assert statistics.pstdev(noisy) > 3 * statistics.pstdev(before)


def test_inject_rejects_unknown_tag_or_kind(config: Config) -> None:
    sim = Simulator(config, seed=1)
    with pytest.raises(ValueError, match="unknown tag"):
        sim.inject("nope", "spike")
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject("fermenter_ph", "meltdown")


def test_values_never_leave_the_valid_range(config: Config) -> None:
    cfg = replace(config, simulator=SimulatorSettings(spike_rate=0.3))
    series = run(Simulator(cfg, seed=9), 500)
    for tag in config.tags:
        assert all(tag.valid[0] <= v <= tag.valid[1] for v in series[tag.name])


def test_scenario_is_labelled(config: Config) -> None:
    readings, events = generate_scenario(quiet(config), 1, 3600, START, faults_per_hour=6)
    assert len(readings) == 3 * 3600
    assert len(events) > 10 and all(e.start for e in events)
    unfinished = [e for e in events if not e.end]
    assert len(unfinished) <= len(config.tags)  # at most one fault per tag still running
    assert {e.kind for e in events} <= set(FAULT_KINDS)
