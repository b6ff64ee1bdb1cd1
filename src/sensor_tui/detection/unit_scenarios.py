"""A generated coupled unit: a fermenter whose tags keep relations a per-tag detector cannot see.

Temperature wanders slowly around its set point; agitation moves with it (the controller
stirs harder when it warms) and pH follows it with a lag (warmer broth, faster acid
production). The faults keep every tag inside its normal range, so only the relations break:

- "relation": pH stops following temperature (a fouled probe that reads a plausible constant);
- "drift": agitation slowly decouples from temperature (a slipping drive belt), reaching its
  full size only after `ramp` observations: what slow adaptation must not absorb;
- "step": temperature steps within its range while agitation and pH follow it (the unit moves
  as it normally moves but stays there: a shift, not a broken relation).

Data for the tests and for `benchmarks/tep_detector.py`'s held-out check; not tuned on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FERMENTER_TAGS = ("temperature", "ph", "agitation")


@dataclass(frozen=True, slots=True)
class Scenario:
    """Observations (rows: temperature, pH, agitation) and where the fault is (onset, end)."""

    observations: np.ndarray
    onset: int
    end: int


def fermenter(
    n: int, seed: int, fault: str | None = None, onset: int = 0, end: int = 0, ramp: int = 1
) -> Scenario:
    """`n` observations of the coupled fermenter, with `fault` from `onset` to `end`."""
    rng = np.random.default_rng(seed)
    temperature = np.empty(n)
    level = 0.0
    for i in range(n):
        level = 0.9 * level + 0.45 * rng.normal()
        temperature[i] = level
    temperature *= 0.5 / max(float(temperature.std()), 1e-9)
    lagged = np.concatenate([temperature[:1], temperature[:-1]])
    ph = -0.6 * lagged + 0.08 * rng.normal(size=n)
    agitation = 0.8 * temperature + 0.1 * rng.normal(size=n)
    window = slice(onset, end)
    if fault == "relation":
        ph[window] = 0.08 * rng.normal(size=end - onset)  # no longer follows temperature
    elif fault == "drift":
        size = np.minimum(np.arange(end - onset) / max(ramp, 1), 1.0)
        agitation[window] = (1 - size) * agitation[window] - size * 0.8 * temperature[window]
    elif fault == "step":
        temperature[window] += 0.6
        ph[window] -= 0.36
        agitation[window] += 0.48
    elif fault is not None:
        raise ValueError(f"unknown fault {fault!r} (known: relation, drift, step)")
    observations = np.column_stack([37.0 + temperature, 6.8 + 0.1 * ph, 300.0 + 20 * agitation])
    return Scenario(observations, onset, end)


def normal_range(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each tag's lowest and highest reference value: the band a per-tag alarm would use."""
    return reference.min(axis=0), reference.max(axis=0)
