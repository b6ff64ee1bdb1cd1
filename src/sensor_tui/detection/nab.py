"""The NAB score, written from the published rules (Lavin and Ahmad 2015; NAB's README).

The rules, as this module implements them:

- Each data file has labelled anomaly windows. The first 15% of a file (at most 750 readings)
  is probationary: detections there are not scored.
- A detection is a reading whose anomaly score is at or above the threshold. Inside a window,
  only the window's earliest detection counts, weighted by the scaled sigmoid of its relative
  position y in the window (y = -1 at its first reading, 0 just past its last):
  sigma(y) = 2 / (1 + e^(5y)) - 1, divided by sigma(-1) so that the earliest detection is worth
  1, times the profile's true-positive weight. A window without a detection costs the
  false-negative weight.
- A detection outside every window is a false positive: before any window it costs the full
  false-positive weight; after a window, sigma(y) with y its distance past that window's end
  over the window's length, so a late detection just after a window costs little, one far
  after costs the full weight (sigma = -1 beyond y = 3).
- A profile (standard, reward_low_FP_rate, reward_low_FN_rate) sets the weights.
- The raw score is summed over all files; one threshold for the whole corpus is chosen to
  maximise it (the threshold search); it is normalised to 100 * (raw - null) / (perfect - null),
  where the null detector detects nothing (-fn per window) and the perfect one detects every
  window at its first reading.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROBATION_SHARE = 0.15
PROBATION_MAX = 750


@dataclass(frozen=True, slots=True)
class Profile:
    """One scoring profile's weights."""

    name: str
    tp: float
    fp: float
    fn: float


@dataclass(slots=True)
class FileLabels:
    """One data file's labels, reduced to what scoring needs, per reading.

    `window[i]` is the index of the window reading i is in (-1: outside), `weight[i]` the scaled
    sigmoid of its position (positive in a window, negative outside), `scored[i]` False during the
    probationary period.
    """

    name: str
    windows: int
    window: list[int]
    weight: list[float]
    probation: int


def scaled_sigmoid(y: float) -> float:
    """NAB's weighting of a detection at relative position y (see the module docstring)."""
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


EARLIEST = scaled_sigmoid(-1.0)
"""The weight of a detection at a window's first reading; true positives are divided by it, so
the earliest possible detection is worth exactly the profile's true-positive weight."""


def _key(timestamp: str) -> str:
    """Comparable text for NAB's and the project's timestamp formats."""
    return timestamp[:19].replace("T", " ")


def probation(length: int) -> int:
    """Readings of a file's probationary period."""
    return int(min(math.floor(PROBATION_SHARE * length), PROBATION_MAX))


def prepare(name: str, timestamps: Sequence[str], windows: Sequence[Sequence[str]]) -> FileLabels:
    """Per-reading window membership and weight for one file."""
    keys = [_key(t) for t in timestamps]
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        lo, hi = _key(start), _key(end)
        inside = [i for i, k in enumerate(keys) if lo <= k <= hi]
        if inside:
            spans.append((inside[0], inside[-1]))
    spans.sort()
    window = [-1] * len(keys)
    weight = [-1.0] * len(keys)
    previous: tuple[int, int] | None = None
    w = 0
    for i in range(len(keys)):
        while w < len(spans) and spans[w][1] < i:
            previous = spans[w]
            w += 1
        if w < len(spans) and spans[w][0] <= i:
            left, right = spans[w]
            window[i] = w
            weight[i] = scaled_sigmoid(-(right - i + 1) / (right - left + 1)) / EARLIEST
        elif previous is not None:
            left, right = previous
            width = right - left + 1
            weight[i] = scaled_sigmoid(abs(right - i) / max(width - 1, 1))
    return FileLabels(name, len(spans), window, weight, probation(len(keys)))


def raw_score(labels: FileLabels, scores: Sequence[float], threshold: float, p: Profile) -> float:
    """One file's raw score at one threshold."""
    best: dict[int, float] = {}
    total = 0.0
    for i in range(labels.probation, len(scores)):
        if scores[i] < threshold:
            continue
        w = labels.window[i]
        if w < 0:
            total += p.fp * labels.weight[i]
        elif w not in best:
            best[w] = labels.weight[i]  # the earliest detection has the largest weight
    total += sum(p.tp * v for v in best.values())
    return total - p.fn * (labels.windows - len(best))


@dataclass(frozen=True, slots=True)
class FileCounts:
    """Where one file's score comes from at one threshold: windows detected (tp) and missed
    (fn), detections outside windows after probation (fp), and the raw score under a profile."""

    tp: int
    fp: int
    fn: int
    raw: float


def counts(labels: FileLabels, scores: Sequence[float], threshold: float, p: Profile) -> FileCounts:
    """One file's detections at one threshold, for a breakdown of the corpus score."""
    detected = {
        labels.window[i]
        for i in range(labels.probation, len(scores))
        if scores[i] >= threshold and labels.window[i] >= 0
    }
    fp = sum(
        1
        for i in range(labels.probation, len(scores))
        if scores[i] >= threshold and labels.window[i] < 0
    )
    raw = raw_score(labels, scores, threshold, p)
    return FileCounts(len(detected), fp, labels.windows - len(detected), raw)


def sweep(files: Sequence[tuple[FileLabels, Sequence[float]]], p: Profile) -> tuple[float, float]:
    """The threshold search: (threshold, raw score summed over the files) maximising the sum.

    Walks every reading of every file in descending score order once, keeping the corpus total
    for "threshold = this score", so it costs one sort rather than one pass per threshold.
    """
    points: list[tuple[float, int, int]] = []
    for f, (labels, scores) in enumerate(files):
        points.extend((scores[i], f, i) for i in range(labels.probation, len(scores)))
    points.sort(key=lambda point: -point[0])
    total = -p.fn * sum(labels.windows for labels, _ in files)
    best_threshold, best_total = math.inf, total
    detected: dict[tuple[int, int], float] = {}
    for k, (score, f, i) in enumerate(points):
        labels = files[f][0]
        w = labels.window[i]
        weight = labels.weight[i]
        if w < 0:
            total += p.fp * weight
        else:
            key = (f, w)
            had = detected.get(key)
            if had is None:
                detected[key] = weight
                total += p.tp * weight + p.fn
            elif weight > had:
                detected[key] = weight
                total += p.tp * (weight - had)
        if (k + 1 == len(points) or points[k + 1][0] != score) and total > best_total:
            best_threshold, best_total = score, total
    return best_threshold, best_total


def bounds(files: Sequence[FileLabels], p: Profile) -> tuple[float, float]:
    """(null, perfect) raw scores of the corpus under a profile."""
    windows = sum(labels.windows for labels in files)
    return -p.fn * windows, p.tp * windows


def normalise(raw: float, files: Sequence[FileLabels], p: Profile) -> float:
    """100 * (raw - null) / (perfect - null)."""
    null, perfect = bounds(files, p)
    return 100.0 * (raw - null) / (perfect - null)


def load_profiles(path: str | Path) -> list[Profile]:
    """NAB's config/profiles.json."""
    data = json.loads(Path(path).read_text())
    return [
        Profile(
            name,
            float(entry["CostMatrix"]["tpWeight"]),
            float(entry["CostMatrix"]["fpWeight"]),
            float(entry["CostMatrix"]["fnWeight"]),
        )
        for name, entry in data.items()
    ]


def load_windows(path: str | Path) -> dict[str, list[list[str]]]:
    """NAB's labels/combined_windows.json: file name (category/name.csv) -> windows."""
    data: dict[str, list[list[str]]] = json.loads(Path(path).read_text())
    return data


def corpus_scores(
    files: Sequence[tuple[FileLabels, Sequence[float]]], profiles: Sequence[Profile]
) -> dict[str, float]:
    """Normalised score per profile, each with its own best threshold."""
    labels = [f for f, _ in files]
    return {p.name: normalise(sweep(files, p)[1], labels, p) for p in profiles}


def fixed_scores(
    files: Sequence[tuple[FileLabels, Sequence[float]]],
    profiles: Sequence[Profile],
    threshold: float,
) -> dict[str, float]:
    """Normalised score per profile at one given threshold (no search)."""
    labels = [f for f, _ in files]
    return {
        p.name: normalise(sum(raw_score(f, s, threshold, p) for f, s in files), labels, p)
        for p in profiles
    }
