"""Alarm priority: how far and how long the tag is outside normal, and what kind of fault.

EEMUA 191 asks for few high priorities (roughly 5% urgent, 15% high, 80% low): a one-reading
spike inside the valid range is low, a step or out-of-band excursion that lasts and goes far
past the band is urgent. Points add up from three parts; the total picks the priority.
"""

from __future__ import annotations

from sensor_tui.model.faults import FaultKind

URGENT, HIGH, MEDIUM, LOW = 1, 2, 3, 4
NAMES: dict[int | None, str] = {URGENT: "URGENT", HIGH: "HIGH", MEDIUM: "MEDIUM", LOW: "LOW"}
"""Keyed by `int | None` because an alarm row's priority may be None (not set yet): a lookup
with it falls to the caller's default."""

KIND_POINTS: dict[str, int] = {
    FaultKind.OUT_OF_BAND: 2, FaultKind.STEP: 2, FaultKind.DRIFT: 1, FaultKind.STUCK: 1,
    FaultKind.NOISE: 1, FaultKind.SPIKE: 0,
}  # fmt: skip
"""A level fault moves the process; a lone spike is most often the instrument."""


def outside(value: float, band: tuple[float, float]) -> float:
    """How far a value lies outside the normal band, in band widths (0 inside it)."""
    low, high = band
    width = (high - low) or 1.0
    if value > high:
        return (value - high) / width
    if value < low:
        return (low - value) / width
    return 0.0


def priority(kind: str, deviation: float, seconds: float) -> int:
    """URGENT (1) .. LOW (4) from the kind, the peak deviation (band widths) and the duration."""
    points = KIND_POINTS.get(kind, 1)
    points += 2 if deviation >= 1.0 else 1 if deviation >= 0.25 else 0
    points += 2 if seconds >= 600 else 1 if seconds >= 60 else 0
    if points >= 5:
        return URGENT
    if points >= 3:
        return HIGH
    if points >= 1:
        return MEDIUM
    return LOW
