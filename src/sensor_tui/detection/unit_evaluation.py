"""Scoring a unit detector on labelled arrays: the Tennessee Eastman yardstick and its kin.

Shared by `benchmarks/tep_detector.py` (the detector alone, on arrays), the product's
`benchmarks/tep.py` (through the import path) and the tests, so that every figure quoted is
computed one way:

- detection rate: share of the faulty observations flagged;
- false-alarm rate: share of the normal observations flagged (a whole normal file, or the
  observations before a fault's onset);
- delay: observations from the onset to the first flagged one (None when never flagged);
- alarm rows: contiguous flagged episodes, as the product counts alarms (the detector's own
  off-delay already bridges short gaps); false alarm rows: those that end before the onset.

Reading the data set lives here too: `d00.dat` is stored transposed (52 x 500).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sensor_tui.detection.unit_base import UnitDetector
from sensor_tui.detection.unit_pca import PCAUnitDetector

TEP_ONSET = 160
"""Observations of normal operation at the start of every `dNN_te.dat` (8 hours)."""
TEP_FAULTS = tuple(range(1, 22))
TEP_UNDETECTABLE = (3, 9, 15)
"""Faults that no published method sees in the data; left out of the mean detection rate."""
TEP_DETECTABLE = tuple(f for f in TEP_FAULTS if f not in TEP_UNDETECTABLE)
TEP_HALF_A = TEP_DETECTABLE[::2]
"""The half of the detectable faults settings may be chosen on (`benchmarks/tep_detector.py`)."""
TEP_HALF_B = TEP_DETECTABLE[1::2]
"""The other half, held out while choosing."""
TEP_TAGS = tuple([f"xmeas_{i}" for i in range(1, 42)] + [f"xmv_{i}" for i in range(1, 12)])


@dataclass(frozen=True, slots=True)
class TepData:
    """The reference (`d00.dat`, 500 x 52) and the test files by fault number (0 = normal)."""

    reference: np.ndarray
    tests: Mapping[int, np.ndarray]


def read_tep(folder: Path) -> TepData | None:
    """The data set from `folder` (`../shared/data/tep` in this project); None when absent."""
    if not (folder / "d00.dat").exists():
        return None
    reference = np.loadtxt(folder / "d00.dat")
    if reference.shape[0] == len(TEP_TAGS):
        reference = reference.T  # stored transposed
    tests = {f: np.loadtxt(folder / f"d{f:02d}_te.dat") for f in (0, *TEP_FAULTS)}
    return TepData(reference, tests)


@dataclass(frozen=True, slots=True)
class Figures:
    """One labelled file's figures (see the module docstring)."""

    detection: float
    false_alarm: float
    delay: int | None
    alarm_rows: int
    false_alarm_rows: int


def alarm_episodes(flags: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous runs of flagged observations as (first, last) indices."""
    padded = np.concatenate([[False], np.asarray(flags, dtype=bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def score_flags(flags: np.ndarray, onset: int) -> Figures:
    """Figures of one file whose observations from `onset` on are faulty (onset = len: none)."""
    flags = np.asarray(flags, dtype=bool)
    faulty, normal = flags[onset:], flags[:onset]
    hits = np.flatnonzero(faulty)
    episodes = alarm_episodes(flags)
    return Figures(
        detection=float(faulty.mean()) if len(faulty) else 0.0,
        false_alarm=float(normal.mean()) if len(normal) else 0.0,
        delay=int(hits[0]) if len(hits) else None,
        alarm_rows=len(episodes),
        false_alarm_rows=sum(1 for _, last in episodes if last < onset),
    )


@dataclass(frozen=True, slots=True)
class Run:
    """A detector's verdicts on one file, and the time its `update` calls took."""

    flags: np.ndarray
    statistic: np.ndarray
    kinds: list[str | None]
    seconds: float
    """Wall-clock time of the `update` calls."""
    cpu_seconds: float
    """The same calls' CPU time: on a shared machine, what the detector itself costs."""


def run_detector(detector: UnitDetector, observations: np.ndarray) -> Run:
    """Feed every observation (rows) to `update`, timing only the calls."""
    n = len(observations)
    flags, statistic, kinds = np.zeros(n, dtype=bool), np.zeros(n), []
    wall, cpu = time.perf_counter, time.thread_time
    spent = spent_cpu = 0.0
    for i, observation in enumerate(observations):
        start, start_cpu = wall(), cpu()
        verdict = detector.update(observation)
        spent_cpu += cpu() - start_cpu
        spent += wall() - start
        flags[i], statistic[i] = verdict.is_anomaly, verdict.statistic
        kinds.append(verdict.kind)
    return Run(flags, statistic, kinds, spent, spent_cpu)


@dataclass(frozen=True, slots=True)
class Summary:
    """The Tennessee Eastman headline figures."""

    per_fault: Mapping[int, Figures]
    normal: Figures
    mean_detection: float
    far_before_onset: float
    faults_alarmed: int
    us_per_observation: float
    cpu_us_per_observation: float


def summarise(
    per_fault: Mapping[int, Figures],
    normal: Figures,
    seconds: tuple[float, float] = (0.0, 0.0),
    observations: int = 0,
    detectable: Iterable[int] = TEP_DETECTABLE,
) -> Summary:
    """Mean detection over the detectable faults, and how many of them raised an alarm."""
    chosen = [f for f in detectable if f in per_fault]
    return Summary(
        per_fault=per_fault,
        normal=normal,
        mean_detection=float(np.mean([per_fault[f].detection for f in chosen])),
        far_before_onset=float(np.mean([fig.false_alarm for fig in per_fault.values()])),
        faults_alarmed=sum(1 for f in chosen if per_fault[f].delay is not None),
        us_per_observation=1e6 * seconds[0] / observations if observations else 0.0,
        cpu_us_per_observation=1e6 * seconds[1] / observations if observations else 0.0,
    )


def evaluate_tep(
    make: Callable[[], UnitDetector], data: TepData, faults: Iterable[int] = TEP_FAULTS
) -> Summary:
    """Fitted once on `d00.dat`; each test file is judged by a fresh detector loaded with that
    reference (as after a restart), so no file sees another's adaptation."""
    per_fault: dict[int, Figures] = {}
    seconds, cpu_seconds, count = 0.0, 0.0, 0
    normal = Figures(0.0, 0.0, None, 0, 0)
    fitted = make()
    fitted.fit(data.reference)
    reference = fitted.state()
    for fault in (0, *faults):
        detector = make()
        detector.load_state(reference)
        run = run_detector(detector, data.tests[fault])
        seconds, cpu_seconds = seconds + run.seconds, cpu_seconds + run.cpu_seconds
        count += len(run.flags)
        if fault == 0:
            normal = score_flags(run.flags, len(run.flags))
        else:
            per_fault[fault] = score_flags(run.flags, TEP_ONSET)
    return summarise(per_fault, normal, (seconds, cpu_seconds), count)


def pca_baseline(data: TepData, components: int = 9, quantile: float = 0.99) -> Summary:
    """The published baseline: PCA T² or Q above its empirical limit, fitted on `d00.dat`."""
    baseline = PCAUnitDetector(TEP_TAGS, components, quantile)
    baseline.fit(data.reference)
    per_fault = {f: score_flags(baseline.flags(data.tests[f]), TEP_ONSET) for f in TEP_FAULTS}
    normal = score_flags(baseline.flags(data.tests[0]), len(data.tests[0]))
    return summarise(per_fault, normal)


def _mean_detection(summary: Summary, faults: Iterable[int]) -> float:
    return float(np.mean([summary.per_fault[f].detection for f in faults]))


def tep_figures(summary: Summary, baseline: Summary) -> dict[str, Any]:
    """The JSON figures of a Tennessee Eastman run (rates in %), the baseline's under "pca"."""
    return {
        "mean_detection": summary.mean_detection,
        "mean_detection_half_a": _mean_detection(summary, TEP_HALF_A),
        "mean_detection_half_b": _mean_detection(summary, TEP_HALF_B),
        "far_d00_te": 100.0 * summary.normal.false_alarm,
        "far_before_onset": 100.0 * summary.far_before_onset,
        "faults_alarmed": summary.faults_alarmed,
        "false_alarm_rows_d00_te": summary.normal.alarm_rows,
        "us_per_observation": summary.us_per_observation,
        "cpu_us_per_observation": summary.cpu_us_per_observation,
        "per_fault": {str(f): asdict(fig) for f, fig in summary.per_fault.items()},
        "pca": {
            "mean_detection": baseline.mean_detection,
            "far_d00_te": 100.0 * baseline.normal.false_alarm,
            "far_before_onset": 100.0 * baseline.far_before_onset,
        },
    }
