"""Unit detectors by name: the one place that maps a unit's `detector = "..."` to a class.

A plug-in is any `UnitDetectorFactory` (tags in, `UnitDetector` out) added to `UNIT_DETECTORS`
under a new name; the pipeline only ever calls `make_unit_detector`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sensor_tui.detection.unit_base import UnitDetector, UnitDetectorFactory
from sensor_tui.detection.unit_dynamic import DynamicUnitDetector
from sensor_tui.detection.unit_pca import PCAUnitDetector


def _dynamic(tags: Sequence[str]) -> UnitDetector:
    return DynamicUnitDetector(tags)


def _pca(tags: Sequence[str]) -> UnitDetector:
    return PCAUnitDetector(tags)


UNIT_DETECTORS: dict[str, UnitDetectorFactory] = {
    "dynamic-pca": _dynamic,
    "pca": _pca,
}
UNIT_DETECTORS["default"] = UNIT_DETECTORS["dynamic-pca"]
"""Unit detectors by the name a unit's `detector` key gives ("default" when it gives none)."""


def make_unit_detector(name: str, tags: Sequence[str]) -> UnitDetector:
    """The unit detector `name` names, for these tags; ValueError names the known ones."""
    factory = UNIT_DETECTORS.get(name)
    if factory is None:
        known = ", ".join(sorted(UNIT_DETECTORS))
        raise ValueError(f"unknown unit detector {name!r} (known: {known})")
    return factory(tags)
