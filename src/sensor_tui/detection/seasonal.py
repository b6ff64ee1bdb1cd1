"""A tag's daily cycle, learned from its own readings: one level per five minutes of the day.

Many process values follow the day (ambient temperature, load, traffic). A reference that only
follows the recent level lags behind such a cycle and calls its steep parts a drift, or, worse,
lets a fault hide in the cycle's swing. The profile holds, for each five-minute slot of the day,
how far the reading usually sits from the detector's slow reference at that time of day (an
additive Holt-Winters season). The detector subtracts it before scoring, so a reading is judged
against "this time of day", not against "the last hour".

The time of day comes from the reading's timestamp (the canonical ISO text: `...THH:MM...`);
readings without one (history warmed at start) leave the profile alone. The slot is recomputed
only when the minute changes, so a 1 Hz stream parses one timestamp in sixty. It acts only from
the second day on, fading in over that day: a stream of a few hours never uses it.
"""

from __future__ import annotations

SLOTS = 288
"""Five-minute slots in a day."""
MEMORY_DAYS = 10.0
"""Days over which a slot's level is averaged once the profile is established."""


class DailyProfile:
    """Per-slot offsets of the reading from the detector's reference, by time of day."""

    __slots__ = ("_day", "_hm", "_in_slot", "_per_slot", "_slot", "_slots")

    def __init__(self) -> None:
        self._slots = [0.0] * SLOTS
        self._hm = ""
        self._slot = -1
        self._day = 0
        self._in_slot = 0
        self._per_slot = 1

    def offset(self, timestamp: str) -> float:
        """The usual offset at this reading's time of day (0 until the second day)."""
        hm = timestamp[11:16]
        if hm != self._hm:
            self._hm = hm
            try:
                slot = int(hm[:2]) * 12 + int(hm[3:5]) // 5
            except ValueError:
                return 0.0
            if slot != self._slot:
                if 0 <= slot < self._slot:
                    self._day += 1
                self._slot = slot
                self._per_slot = self._in_slot or 1
                self._in_slot = 0
        self._in_slot += 1
        day = self._day
        if day < 1 or self._slot < 0:
            return 0.0
        weight = day - 1 + self._slot / SLOTS
        return self._slots[self._slot] * (weight if weight < 1.0 else 1.0)

    def learn(self, residual: float) -> None:
        """Move this slot's offset toward the reading's distance from the reference."""
        slot = self._slot
        if slot < 0:
            return
        day = self._day
        rate = (1.0 / (day + 1) if day + 1 < MEMORY_DAYS else 1.0 / MEMORY_DAYS) / self._per_slot
        slots = self._slots
        slots[slot] += rate * (residual - slots[slot])
