"""What a unit detector is: the contract between the multivariate detectors and the pipeline.

A unit is a group of tags on one piece of plant (a fermenter's temperature, pH and agitation).
Faults there often show only in how the tags move together, which no per-tag detector can see,
so a unit detector judges one *observation* (the latest value of every tag of the unit) at a
time. Kept apart from the detectors and their registry so that the pipeline, the storage of the
learned reference and the detectors depend on this module only, never on each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True, slots=True)
class UnitVerdict:
    """The judgement of one unit observation.

    `statistic` is the detector's monitoring statistic scaled so that `limit` is its control
    limit (a chart draws both); `is_anomaly` is the verdict after the detector's own persistence
    rules, so a single noisy observation need not open an alarm. `contributions` says which tags
    moved the statistic and by how much (shares that sum to 1 when anything is flagged), the
    first thing an operator asks of a unit alarm. `kind` names the fault family the detector
    saw (for example "relation" when the correlation structure broke, "shift" when the unit
    moved as a whole); None when not flagged.
    """

    statistic: float
    limit: float
    is_anomaly: bool
    kind: str | None = None
    contributions: Mapping[str, float] = field(default_factory=dict)


class UnitDetector(Protocol):
    """What the pipeline needs from a unit detector."""

    tags: tuple[str, ...]
    """The unit's tags, in the column order of every observation array."""

    def fit(self, reference: np.ndarray) -> None:
        """Learn normal behaviour from a reference period: rows are observations, columns `tags`."""
        ...

    @property
    def fitted(self) -> bool:
        """True once a reference has been learned (before that `update` returns NORMAL)."""
        ...

    def update(self, observation: np.ndarray) -> UnitVerdict:
        """Judge one observation (one value per tag, in `tags` order) and adapt slowly."""
        ...

    def state(self) -> dict[str, Any]:
        """The learned reference as JSON-ready data, stored so that a restart keeps it."""
        ...

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what `state` returned (for the same tags)."""
        ...


UnitDetectorFactory = Callable[[Sequence[str]], UnitDetector]
"""Unit detectors by name: builds one for the given tags (a unit's `detector = "..."`)."""
