"""Anomaly detection: one small stateful detector per tag, and what is built on its verdicts.

- `base`: the verdict and the interface (`update`, `warm`) every detector implements;
- `registry`: detectors by the name a tag's configuration gives (`DETECTORS`, `make_detector`);
- `adaptive`: the default detector (`robust`), which learns each tag from its own data and
  returns a calibrated score in [0, 1]; `likelihood`: that calibration;
- `zscore`: the seed's rolling z-score, kept for comparison;
- `alarms`: consecutive flagged readings grouped into alarms (the `alarms` table's rows);
- `evaluation` and `nab`: event scoring and the NAB scorer (benchmarks and tests).

The pipeline's writer path calls `update` for every reading in commit order, so a detector sees
each tag's stream exactly as it is stored.
"""

from __future__ import annotations

from sensor_tui.detection.adaptive import AdaptiveDetector
from sensor_tui.detection.base import (
    DEFAULT_THRESHOLD,
    NORMAL,
    Detector,
    DetectorFactory,
    Verdict,
)
from sensor_tui.detection.registry import DETECTORS, make_detector
from sensor_tui.detection.zscore import ZScoreDetector

__all__ = [
    "DEFAULT_THRESHOLD",
    "DETECTORS",
    "NORMAL",
    "AdaptiveDetector",
    "Detector",
    "DetectorFactory",
    "Verdict",
    "ZScoreDetector",
    "make_detector",
]
