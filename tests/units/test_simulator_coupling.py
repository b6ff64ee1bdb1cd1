"""The simulator's unit: its tags move together, and `decouple` breaks that inside the band."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sensor_tui.model.tags import Config, SimulatorSettings, load_config
from sensor_tui.sources.simulator import FAULT_KINDS, Simulator

START = datetime(2026, 1, 1, tzinfo=UTC)


def quiet() -> Config:
    return replace(load_config(None), simulator=SimulatorSettings(spike_rate=0.0))


def run(sim: Simulator, n: int, start: int = 0) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    for i in range(start, start + n):
        for reading in sim.next_batch(START + timedelta(seconds=i)):
            series.setdefault(reading.tag, []).append(reading.value)
    return series


def scaled(config: Config, series: dict[str, list[float]], tag: str) -> list[float]:
    """Values in band widths from the band's centre."""
    spec = config.tag(tag)
    assert spec is not None
    centre = sum(spec.normal) / 2
    return [(v - centre) / spec.band_width for v in series[tag]]


def test_agitation_and_temperature_move_together_and_ph_follows_inverted() -> None:
    config = quiet()
    series = run(Simulator(config, seed=11), 1800)
    temp, ph, rpm = (scaled(config, series, t) for t in config.tag_names)
    assert statistics.correlation(temp, rpm) > 0.8
    assert statistics.correlation(temp, ph) < -0.8


def steps(values: list[float], lag: int = 10) -> list[float]:
    return [b - a for a, b in zip(values, values[lag:], strict=False)]


def test_a_tag_outside_any_unit_keeps_its_own_process() -> None:
    """Moves over ten readings: shared in the unit, independent outside it."""
    for units, low, high in ((None, 0.4, 1.0), ((), -0.15, 0.15)):
        config = quiet() if units is None else replace(quiet(), units=units)
        series = run(Simulator(config, seed=11), 3600)
        temp, _, rpm = (steps(scaled(config, series, t)) for t in config.tag_names)
        assert low < statistics.correlation(temp, rpm) < high


def test_decouple_breaks_the_relation_and_keeps_every_tag_in_its_band() -> None:
    config = quiet()
    assert "decouple" in FAULT_KINDS
    sim = Simulator(config, seed=5)
    before = run(sim, 600)
    event = sim.inject("fermenter_ph", "decouple", duration=180)
    during = run(sim, 180, start=600)
    assert event.end  # reported with its end, like every fault
    for tag in config.tags:
        low, high = tag.normal
        assert all(low <= v <= high for v in during[tag.name]), tag.name

    def broken(series: dict[str, list[float]]) -> float:
        temp, ph = scaled(config, series, "fermenter_temp"), scaled(config, series, "fermenter_ph")
        return statistics.fmean(abs(t + p) for t, p in zip(temp, ph, strict=True))

    assert broken(during) > 0.2 > 4 * broken(before)
