"""What every detector shares: the verdict it returns, the two calls the pipeline makes, and
the optional parts a detector may offer, each named by a protocol.

Kept apart from the registry and the detectors so that each detector module imports only this
one and nothing imports back (the old `detection` and `detection_robust` imported each other).
The optional parts are protocols rather than attribute names looked up with `getattr`, so a
typo in a detector or a caller is a type error, and a plug-in sees what it may add.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

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

        Optional parts: `WarmsWithTime` (learns from the timestamps too; `warm_from` calls it
        instead) and `KnowsWarmUp` (says when it has too little history to judge; the charts
        then say "warming up")."""
        ...


@runtime_checkable
class WarmsWithTime(Protocol):
    """Optional: a detector that also learns from timestamps (a daily profile learns the time
    of day), so it warms from (value, timestamp) pairs rather than values."""

    def warm_readings(self, readings: Iterable[tuple[float, str]]) -> None:
        """Learn from stored (value, timestamp) pairs without flagging."""
        ...


@runtime_checkable
class KnowsWarmUp(Protocol):
    """Optional: a detector that knows when it has too few readings to judge."""

    @property
    def warming_up(self) -> bool:
        """True until it has enough history to give verdicts."""
        ...


def warm_from(detector: Detector, history: Sequence[tuple[float, str]]) -> None:
    """Warm a detector from stored history: with the timestamps when it takes them
    (`WarmsWithTime`), else the values alone (`Detector.warm`, what every plug-in has)."""
    if isinstance(detector, WarmsWithTime):
        detector.warm_readings(history)
    else:
        detector.warm(value for value, _ in history)


def is_warming_up(detector: object) -> bool:
    """True while a detector says it has too few readings to judge (`KnowsWarmUp`); one that
    does not say is taken as judging. Reads the flag without a lock: a stale answer costs a
    repaint."""
    return isinstance(detector, KnowsWarmUp) and detector.warming_up is True


DetectorFactory = Callable[["Tag"], Detector]
