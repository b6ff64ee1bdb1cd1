"""NAB benchmark: every NAB file through the product's import path, scored by NAB's rules.

    python benchmarks/nab.py [--detectors robust,zscore] [--data PATH] [--detail] [--half a|b]

Each of the 58 files of `../shared/data/nab/data/` becomes one tag (its normal band is the
file's min..max, as the issue's harness had it) and is imported with `import_csv`, the code
`sensor-tui import` runs: validation, the tag's detector, the alarm tracker, SQLite. The stored
`score` of every reading is then scored with `sensor_tui.detection.nab` (NAB's windows, scaled
sigmoid, profiles and threshold search), and so are the alarm onsets alone at the default
threshold (one detection per row of the `alarms` table, no threshold search: what an operator is
paged for). Printed beside the published scoreboard (`results/final_results.json`) and the
published windowed-Gaussian results re-scored by the same scorer (a check of the scorer).

`--detail` adds, for each detector, where the standard score of the alarm onsets is won and
lost: per file and per category, windows detected (TP) and missed (FN), onsets outside windows
after probation (FP), and the raw score beside the best possible (every window at its start).

Files with repeated timestamps keep one reading per timestamp in the database (the product's
rule), so those few files are scored on what was stored.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sensor_tui.detection import nab
from sensor_tui.model.tags import Config, Tag
from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.csv_import import import_csv
from sensor_tui.storage import connect

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "nab"
SCOREBOARD = (
    ("ARTime", "ARTime"),
    ("Numenta HTM", "numenta"),
    ("CAD OSE", "contextOSE"),
    ("earthgecko Skyline", "earthgeckoSkyline"),
    ("KNN CAD", "knncad"),
    ("Relative Entropy", "relativeEntropy"),
    ("Random Cut Forest", "randomCutForest"),
    ("windowed Gaussian", "windowedGaussian"),
    ("random", "random"),
    ("null", "null"),
)
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")


def _tag_name(file_name: str) -> str:
    return file_name.split("/")[-1].removesuffix(".csv")


def _config(files: dict[str, list[list[str]]], data: Path, detector: str) -> Config:
    """One tag per file, band = the file's min..max, valid range wide around it."""
    tags = []
    for name in files:
        with (data / "data" / name).open() as handle:
            values = [float(row[1]) for row in list(csv.reader(handle))[1:]]
        low, high = min(values), max(values)
        if high <= low:
            high = low + 1.0
        margin = 10.0 * (high - low) + 1.0
        tags.append(Tag(_tag_name(name), "", (low, high), (low - margin, high + margin), detector))
    return replace(Config(), tags=tuple(tags), detector=detector)


def run_detector(
    files: dict[str, list[list[str]]], data: Path, detector: str
) -> tuple[list[tuple[nab.FileLabels, list[float]]], list[tuple[nab.FileLabels, list[float]]]]:
    """Import every file with `detector`; (stored scores, alarm onsets) per file, labelled."""
    config = _config(files, data, detector)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "nab.db"
        pipeline = Pipeline(config, db_path, Path(tmp) / "dl.jsonl")
        pipeline.start(replay=False)
        try:
            for name in files:
                import_csv(pipeline, data / "data" / name, tag=_tag_name(name))
        finally:
            pipeline.stop()
        db = connect(db_path)
        continuous, onsets = [], []
        for name, windows in files.items():
            tag = _tag_name(name)
            rows = db.execute(
                "SELECT timestamp, score FROM measurements WHERE tag = ? ORDER BY timestamp",
                (tag,),
            ).fetchall()
            starts = {
                row[0] for row in db.execute("SELECT start FROM alarms WHERE tag = ?", (tag,))
            }
            labels = nab.prepare(name, [row[0] for row in rows], windows)
            continuous.append((labels, [row[1] or 0.0 for row in rows]))
            onsets.append((labels, [1.0 if row[0] in starts else 0.0 for row in rows]))
        db.close()
    return continuous, onsets


def published_gaussian(
    files: dict[str, list[list[str]]], data: Path
) -> list[tuple[nab.FileLabels, list[float]]] | None:
    """NAB's published windowed-Gaussian scores, to check this scorer against 39.65."""
    results = data / "results" / "windowedGaussian"
    if not results.exists():
        return None
    out = []
    for name, windows in files.items():
        category, file_name = name.split("/")
        with (results / category / f"windowedGaussian_{file_name}").open() as handle:
            rows = list(csv.DictReader(handle))
        labels = nab.prepare(name, [row["timestamp"] for row in rows], windows)
        out.append((labels, [float(row["anomaly_score"]) for row in rows]))
    return out


def half(files: dict[str, list[list[str]]], which: str) -> dict[str, list[list[str]]]:
    """Every other file of each category (sorted by name): half "a" or half "b"."""
    kept: dict[str, list[list[str]]] = {}
    seen: dict[str, int] = {}
    for name in sorted(files):
        category = name.split("/")[0]
        position = seen[category] = seen.get(category, -1) + 1
        if (position % 2 == 0) == (which == "a"):
            kept[name] = files[name]
    return kept


def _row(label: str, scores: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{scores[p]:.2f}" for p in PROFILES) + " |"


def print_detail(
    detector: str, onsets: list[tuple[nab.FileLabels, list[float]]], p: nab.Profile
) -> None:
    """Per-file and per-category TP / FP / FN of the alarm onsets, worst files first."""
    print(f"\n| {detector}: file ({p.name}, alarm onsets) | windows | TP | FN | FP | raw | best |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rows = [(labels, nab.counts(labels, scores, 0.5, p)) for labels, scores in onsets]
    by_category: dict[str, list[float]] = {}
    for labels, c in sorted(rows, key=lambda row: row[1].raw - p.tp * row[0].windows):
        best = p.tp * labels.windows
        cells = (labels.name, labels.windows, c.tp, c.fn, c.fp, f"{c.raw:.2f}", f"{best:.0f}")
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
        sums = by_category.setdefault(labels.name.split("/")[0], [0, 0, 0, 0, 0.0, 0.0])
        for k, v in enumerate((labels.windows, c.tp, c.fn, c.fp, c.raw, best)):
            sums[k] += v
    print(
        f"\n| {detector}: category ({p.name}, alarm onsets) | windows | TP | FN | FP | raw | best |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for category, s in sorted(by_category.items()):
        cells = [f"{v:.0f}" for v in s]
        cells[4] = f"{s[4]:.2f}"
        print(f"| {category} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    """Score each detector on the corpus and print the table (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detectors", default="robust,zscore")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--detail", action="store_true", help="per-file and per-category counts")
    parser.add_argument(
        "--half",
        choices=("a", "b"),
        help="score one half of the corpus (every other file of each category): a change that "
        "helps only one half fits files, not processes",
    )
    args = parser.parse_args(argv)
    data: Path = args.data
    if not (data / "labels" / "combined_windows.json").exists():
        print(f"NAB data not found under {data}: skipped")
        return 0
    files = nab.load_windows(data / "labels" / "combined_windows.json")
    if args.half:
        files = half(files, args.half)
    profiles = nab.load_profiles(data / "config" / "profiles.json")
    readings = sum(1 for name in files for _ in (data / "data" / name).open()) - len(files)
    print(f"NAB corpus: {len(files)} files, {readings:,} readings, imported with import_csv")
    print("\n| detector | standard | reward_low_FP_rate | reward_low_FN_rate |")
    print("| --- | --- | --- | --- |")
    details = []
    for detector in args.detectors.split(","):
        began = time.perf_counter()
        continuous, onsets = run_detector(files, data, detector)
        took = time.perf_counter() - began
        print(
            _row(
                f"{detector}: stored score, threshold search",
                nab.corpus_scores(continuous, profiles),
            )
        )
        print(_row(f"{detector}: alarm onsets, no search", nab.fixed_scores(onsets, profiles, 0.5)))
        print(f"| ({detector}: import and detection took {took:.1f} s) | | | |")
        details.append((detector, onsets))
    gaussian = published_gaussian(files, data)
    if gaussian is not None:
        scores = nab.corpus_scores(gaussian, profiles)
        print(_row("published windowedGaussian results, this scorer", scores))
    board_path = data / "results" / "final_results.json"
    if board_path.exists() and not args.half:  # the scoreboard is for the whole corpus
        board = json.loads(board_path.read_text())
        for label, key in SCOREBOARD:
            if key in board:
                print(_row(f"scoreboard: {label}", board[key]))
    if args.detail:
        standard = next(p for p in profiles if p.name == "standard")
        for detector, onsets in details:
            print_detail(detector, onsets, standard)
    return 0


if __name__ == "__main__":
    sys.exit(main())
