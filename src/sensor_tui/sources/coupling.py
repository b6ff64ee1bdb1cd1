"""The shared process of a simulated unit: its tags move together, as a fermenter's do.

In a fermenter, the heat the culture makes moves the temperature, the agitator speeds up with the
oxygen demand of the same culture, and the pH falls as the acid it makes rises with temperature.
So one latent process (a slow cycle, a slow wander and a faster load swing, in band widths) drives
every tag of a unit: agitation and temperature follow it directly, pH follows it inverted and a few
readings late. The relations are what a unit detector learns; `decoupled` breaks one.
"""

from __future__ import annotations

import math
import random
from collections import deque

from sensor_tui.model.tags import Config

SIGN = {"fermenter_ph": -1.0}
"""How a tag follows its unit's process (pH falls as temperature rises); others follow it +1."""
LAG = {"fermenter_ph": 5}
"""Readings a tag lags its unit's process by (pH follows temperature); others 0."""

FAST_TAU = 30.0
"""Readings the load swing takes to revert: several swings fit in a default warm-up."""
FAST_SPREAD = 0.04
"""The load swing's spread, in band widths (twice the measurement noise)."""


class _Latent:
    """One unit's process in band widths: slow cycle + slow wander + load swing."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.period = rng.uniform(1800.0, 5400.0)
        self.phase = rng.uniform(0.0, 2 * math.pi)
        self.wander = 0.0
        self.load = 0.0
        self.tick = 0
        self.history: deque[float] = deque([0.0], maxlen=1 + max(LAG.values(), default=0))

    def step(self) -> None:
        self.wander += -0.002 * self.wander + self.rng.gauss(0.0, 0.0036)
        kick = FAST_SPREAD * math.sqrt(2.0 / FAST_TAU)
        self.load += -self.load / FAST_TAU + self.rng.gauss(0.0, kick)
        slow = 0.22 * math.sin(2 * math.pi * self.tick / self.period + self.phase)
        self.history.appendleft(slow + self.wander + self.load)
        self.tick += 1

    def value(self, lag: int) -> float:
        return self.history[min(lag, len(self.history) - 1)]


class UnitProcess:
    """The latent process of each configured unit, and which tag follows which."""

    def __init__(self, config: Config, seed: int | None) -> None:
        rng = random.Random(None if seed is None else seed + 104_729)
        self._latents: list[_Latent] = []
        self._of_tag: dict[str, _Latent] = {}
        simulated = set(config.tag_names)
        for unit in config.units:
            latent = _Latent(rng)
            self._latents.append(latent)
            for tag in unit.tags:
                if tag in simulated:
                    self._of_tag.setdefault(tag, latent)

    def step(self) -> None:
        """Advance every unit's process by one reading."""
        for latent in self._latents:
            latent.step()

    def level(self, tag: str) -> float | None:
        """Where the tag's unit puts it now, in band widths from the band's centre (None: the
        tag belongs to no unit and keeps its own process)."""
        latent = self._of_tag.get(tag)
        if latent is None:
            return None
        return SIGN.get(tag, 1.0) * latent.value(LAG.get(tag, 0))


def decoupled(base: float, band: tuple[float, float], magnitude: float) -> float:
    """The tag's value with its relation to the unit broken, still inside its band.

    Mirrored about the band's centre and pushed `magnitude` further the same way: at least
    `magnitude` from where the unit says it should be (at least 0.45 band widths once the band's
    edge caps it), however the unit moves, so a unit detector sees it and no band is crossed.
    """
    low, high = band
    centre, width = (low + high) / 2, high - low
    deviation = base - centre
    away = -1.0 if deviation > 0 else 1.0
    value = centre - deviation + away * magnitude
    return min(high - 0.05 * width, max(low + 0.05 * width, value))
