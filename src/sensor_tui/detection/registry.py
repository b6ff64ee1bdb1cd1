"""Detectors by name: the one place that maps a tag's `detector = "..."` to a class."""

from __future__ import annotations

from sensor_tui.detection.adaptive import AdaptiveDetector
from sensor_tui.detection.base import DEFAULT_THRESHOLD, Detector, DetectorFactory
from sensor_tui.detection.zscore import ZScoreDetector
from sensor_tui.model.tags import Tag


def _adaptive(tag: Tag) -> Detector:
    threshold = DEFAULT_THRESHOLD if tag.threshold is None else tag.threshold
    return AdaptiveDetector(band=tag.normal, threshold=threshold)


def _zscore(tag: Tag) -> Detector:
    if tag.threshold is None:
        return ZScoreDetector()
    return ZScoreDetector(confidence=tag.threshold)


DETECTORS: dict[str, DetectorFactory] = {
    "zscore": _zscore,
    "robust": _adaptive,
    "adaptive": _adaptive,
}
DETECTORS["default"] = DETECTORS["robust"]
"""Detectors by the name a tag's `detector` key (or the top-level `detector`) gives."""


def make_detector(tag: Tag) -> Detector:
    """The detector the tag's configuration names; ValueError names the known ones."""
    factory = DETECTORS.get(tag.detector)
    if factory is None:
        known = ", ".join(sorted(DETECTORS))
        raise ValueError(f"tag {tag.name}: unknown detector {tag.detector!r} (known: {known})")
    return factory(tag)
