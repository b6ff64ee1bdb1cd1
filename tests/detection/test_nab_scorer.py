"""The NAB scorer written from the published rules."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from sensor_tui.detection import nab

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "nab"
STANDARD = nab.Profile("standard", tp=1.0, fp=0.11, fn=1.0)


def _stamps(n: int) -> list[str]:
    return [f"2014-01-01 {i // 60:02d}:{i % 60:02d}:00" for i in range(n)]


def test_scaled_sigmoid_matches_the_paper() -> None:
    assert nab.scaled_sigmoid(-1.0) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert nab.scaled_sigmoid(0.0) == 0.0
    assert nab.scaled_sigmoid(3.5) == -1.0
    assert nab.probation(4032) == 604 and nab.probation(22695) == 750


def test_one_file_by_hand() -> None:
    """1,000 readings, one window [600, 699]: detections at 610 (in), 400 (before), 750 (after)."""
    stamps = _stamps(1000)
    labels = nab.prepare("f.csv", stamps, [[stamps[600], stamps[699]]])
    assert labels.windows == 1 and labels.probation == 150
    scores = [0.0] * 1000
    scores[610] = scores[400] = scores[750] = 0.9
    scores[100] = 1.0  # in the probationary period: not scored
    tp = nab.scaled_sigmoid(-(699 - 610 + 1) / 100) / nab.scaled_sigmoid(-1.0)
    after = nab.scaled_sigmoid((750 - 699) / 99)
    expected = tp - 0.11 + 0.11 * after
    assert nab.raw_score(labels, scores, 0.5, STANDARD) == pytest.approx(expected)
    # The threshold search: above 0.9 nothing is detected (-1, the null score), at 0.9 all.
    threshold, best = nab.sweep([(labels, scores)], STANDARD)
    assert threshold == 0.9 and best == pytest.approx(expected)
    null, perfect = nab.bounds([labels], STANDARD)
    assert (null, perfect) == (-1.0, 1.0)
    assert nab.normalise(expected, [labels], STANDARD) == pytest.approx(50 * (expected + 1))


def test_only_the_earliest_detection_in_a_window_counts() -> None:
    stamps = _stamps(1000)
    labels = nab.prepare("f.csv", stamps, [[stamps[600], stamps[699]]])
    scores = [0.0] * 1000
    scores[600] = 0.6
    scores[650] = 0.9
    assert nab.raw_score(labels, scores, 0.5, STANDARD) == pytest.approx(1.0)
    # The sweep meets 650 first (higher score) and then improves the window's credit at 0.6.
    assert nab.sweep([(labels, scores)], STANDARD) == (0.6, pytest.approx(1.0))


@pytest.mark.skipif(not (DATA / "results" / "windowedGaussian").exists(), reason="no NAB data")
def test_reproduces_windowed_gaussians_published_scores() -> None:
    """39.65 / 20.87 / 47.41 from NAB's published results files, within 0.05."""
    windows = nab.load_windows(DATA / "labels" / "combined_windows.json")
    files = []
    for name, spans in windows.items():
        category, file_name = name.split("/")
        path = DATA / "results" / "windowedGaussian" / category / f"windowedGaussian_{file_name}"
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        labels = nab.prepare(name, [r["timestamp"] for r in rows], spans)
        files.append((labels, [float(r["anomaly_score"]) for r in rows]))
    scores = nab.corpus_scores(files, nab.load_profiles(DATA / "config" / "profiles.json"))
    assert scores["standard"] == pytest.approx(39.65, abs=0.05)
    assert scores["reward_low_FP_rate"] == pytest.approx(20.87, abs=0.05)
    assert scores["reward_low_FN_rate"] == pytest.approx(47.41, abs=0.05)


def test_counts_break_a_file_score_down() -> None:
    """The breakdown `benchmarks/nab.py --detail` prints: windows found and missed, detections
    outside windows after probation (the one in probation is not counted), the same raw score."""
    stamps = _stamps(1000)
    labels = nab.prepare("f.csv", stamps, [[stamps[600], stamps[699]], [stamps[900], stamps[949]]])
    scores = [0.0] * 1000
    scores[610] = scores[620] = scores[400] = scores[750] = scores[100] = 0.9
    counts = nab.counts(labels, scores, 0.5, STANDARD)
    assert (counts.tp, counts.fn, counts.fp) == (1, 1, 2)
    assert counts.raw == pytest.approx(nab.raw_score(labels, scores, 0.5, STANDARD))
