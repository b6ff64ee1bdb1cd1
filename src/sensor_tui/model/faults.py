"""The kinds of fault: what the simulator injects, what the detectors say they saw, and what an
alarm is called.

Why one enum: the same words were written in the simulator, the alarm priority, the detectors
and the alarm panel, and a typo in one of them made a silent mismatch (a kind the panel draws
as "anomaly", a priority that falls back to its default). A `StrEnum` is a `str`, so the stored
text, the JSON and the comparisons with plain strings stay exactly as they were.
"""

from __future__ import annotations

from enum import StrEnum


class FaultKind(StrEnum):
    """One kind of fault; the value is the text stored in `measurements.kind`, `alarms.kind`
    and `events.kind`."""

    SPIKE = "spike"
    """One reading far off (most often the instrument)."""
    STEP = "step"
    """The level jumps and stays."""
    DRIFT = "drift"
    """The level slides away slowly."""
    STUCK = "stuck"
    """The reading freezes at one value."""
    NOISE = "noise"
    """The scatter grows several times over."""
    DECOUPLE = "decouple"
    """Injected only: a unit tag leaves its unit's pattern while staying in its band."""
    OUT_OF_BAND = "out_of_band"
    """Detected only: the value left the tag's normal band."""
    RELATION = "relation"
    """A unit detector's: the tags stopped keeping their usual relations."""
    SHIFT = "shift"
    """A unit detector's: the unit moved as it normally moves, but too far."""
    ANOMALY = "anomaly"
    """Flagged without a kind (a detector that does not classify)."""


TAG_FAULTS: tuple[FaultKind, ...] = (
    FaultKind.SPIKE,
    FaultKind.STEP,
    FaultKind.DRIFT,
    FaultKind.STUCK,
    FaultKind.NOISE,
)
"""Faults one tag shows on its own (the per-tag detectors' ground truth; scenarios draw these,
in this order, so a seed gives the same scenario)."""

INJECTABLE: tuple[FaultKind, ...] = (*TAG_FAULTS, FaultKind.DECOUPLE)
"""Faults the simulator can inject (keys, HTTP, tests, benchmarks)."""
