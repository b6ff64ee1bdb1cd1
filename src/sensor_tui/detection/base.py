"""What every detector shares: the verdict it returns and the two calls the pipeline makes.

Kept apart from the registry and the detectors so that each detector module imports only this
one and nothing imports back (the old `detection` and `detection_robust` imported each other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sensor_tui.model.tags import Tag

Verdict = tuple[bool, float | None, str | None]
"""(is_anomaly, score, kind).

`score` is a calibrated anomaly score in [0, 1] for every reading (0.0 while the detector is
still warming up): how unusual the reading is for this tag, comparable across tags and kinds.
`is_anomaly` is `score >= threshold`; `kind` names the fault and is None unless flagged."""

NORMAL: Verdict = (False, 0.0, None)
"""Nothing unusual known (a detector still warming up)."""

DEFAULT_THRESHOLD = 0.7
"""The default alarm threshold on the calibrated score s = 1 - tail^(1/10), where tail is the
probability of so unusual a reading for this tag (`sensor_tui.detection.likelihood`): 0.7 is a
reading as unusual as one in 170,000 of this tag's normal readings, 0.9 one in 10^10. A tag's
`threshold` (or a top-level `threshold`) in the TOML overrides it."""


class Detector(Protocol):
    """What the pipeline needs from a detector."""

    def update(self, value: float, timestamp: str) -> Verdict:
        """Score the next reading of this tag (and learn from it)."""
        ...

    def warm(self, values: Iterable[float]) -> None:
        """Learn from stored history without flagging, so a restart has no blind spot.

        A detector that also learns from timestamps (the time of day) may offer
        `warm_readings(pairs of (value, timestamp))`; the pipeline calls that one instead.
        One that knows when it has too little history to judge may say so with a
        `warming_up` bool property; the charts then say "warming up"."""
        ...


DetectorFactory = Callable[["Tag"], Detector]
