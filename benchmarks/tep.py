"""Tennessee Eastman: the unit detector through the product's import path, beside PCA T²/Q.

    python benchmarks/tep.py [--json FILE] [--faults 1,2,5]

Reads ../shared/data/tep (relative to the project root; skips when absent). Each data file is
written as a CSV (timestamp,tag,value; one observation every 3 minutes, each file its own span of
days) and imported with `import_csv` into one temporary SQLite file through the real pipeline,
with a config of 52 tags forming one unit:

1. `d00.dat` (normal operation, stored transposed: 52 x 500) is imported, then marked as the
   unit's reference with `Pipeline.refit_unit` (what the `baseline` command and the key `M` do);
2. each `dNN_te.dat` (960 observations, fault NN from observation 161) is imported by a new
   pipeline on the same file: a restart, which loads the stored reference.

For each file it reads back, from SQLite, the unit statistic's verdicts (`unit_scores`) and the
unit alarm rows (`alarms`), and prints the detection rate (flagged share of observations
161-960), the false-alarm rate (flagged share of observations 1-160; all of `d00_te.dat`), the
delay of the first unit alarm after the fault starts, and the alarm rows; beside them, in the
same run, the PCA T²/Q baseline fitted on `d00.dat` with 99% limits. Faults 3, 9 and 15 are
reported but not scored (invisible to every published method).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tep"
STEP = timedelta(minutes=3)
START = datetime(2026, 1, 1, tzinfo=UTC)
FAULT_AT = 160
"""Observations before the fault in every test file (the fault is on from the 161st)."""
UNSCORED = (3, 9, 15)
DETECTABLE = tuple(n for n in range(1, 22) if n not in UNSCORED)
TAGS = tuple([f"xmeas_{i:02d}" for i in range(1, 42)] + [f"xmv_{i:02d}" for i in range(1, 12)])
UNIT = "tep"


@dataclass
class FileResult:
    """One test file's figures, as measured through the product."""

    name: str
    fault: int
    detection: float | None
    far_first_160: float
    far: float | None
    """Flagged share of the whole file (d00_te only)."""
    delay_minutes: float | None
    alarm_rows: int
    false_alarm_rows: int
    alarms: list[dict[str, Any]] = field(default_factory=list)
    pca_detection: float | None = None
    pca_far_first_160: float = 0.0
    pca_far: float | None = None


def load(name: str) -> np.ndarray:
    """One data file as observations x 52 (d00.dat is stored transposed)."""
    data = np.loadtxt(DATA / name)
    return data.T if data.shape[0] == len(TAGS) else data


def config_for(arrays: list[np.ndarray]) -> Any:
    """52 tags (normal band: d00's range; valid range wide enough for every fault) in one unit
    whose warm-up never completes: its reference is d00, marked by the operator's path."""
    from sensor_tui.model.tags import parse_config

    reference, everything = arrays[0], np.vstack(arrays)
    tags = []
    for i, name in enumerate(TAGS):
        low, high = float(reference[:, i].min()), float(reference[:, i].max())
        span = max(high - low, 1e-6)
        lo_all, hi_all = float(everything[:, i].min()), float(everything[:, i].max())
        valid = [min(lo_all, low) - 10 * span, max(hi_all, high) + 10 * span]
        tags.append({"name": name, "normal": [low, high], "valid": valid})
    unit = {"name": UNIT, "tags": list(TAGS), "warmup": 1_000_000}
    return parse_config({"default_tags": False, "tags": tags, "units": [unit]})


def write_csv(path: Path, data: np.ndarray, start: datetime) -> list[str]:
    """The file's rows as timestamp,tag,value; returns the observation timestamps."""
    stamps = []
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "tag", "value"])
        for k, row in enumerate(data):
            stamp = (start + k * STEP).strftime("%Y-%m-%dT%H:%M:%SZ")
            stamps.append(stamp)
            out.writerows((stamp, tag, repr(float(v))) for tag, v in zip(TAGS, row, strict=True))
    return stamps


def import_file(config: Any, db: Path, csv_path: Path) -> tuple[float, float, int]:
    """Import through a new pipeline (a restart: the stored reference is loaded); returns the
    unit stage's wall and CPU seconds and the observations judged."""
    from sensor_tui.pipeline import Pipeline
    from sensor_tui.sources.csv_import import import_csv

    pipeline = Pipeline(config, db)
    pipeline.start()
    try:
        import_csv(pipeline, csv_path)
        pipeline.flush()
    finally:
        pipeline.stop()
    stage = pipeline.detection.units
    return stage.seconds, stage.cpu_seconds, stage.judged


def mark_reference(config: Any, db: Path, since: str, until: str) -> None:
    """The operator's path: the stored d00 span becomes the unit's reference."""
    from sensor_tui.pipeline import Pipeline

    pipeline = Pipeline(config, db)
    pipeline.start()
    try:
        ref = pipeline.refit_unit(UNIT, since, until).result(timeout=120)
    finally:
        pipeline.stop()
    print(f"reference: {ref.observations} observations of d00.dat ({ref.since} .. {ref.until})")


def read_back(db: Path, stamps: list[str]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The unit's verdict per observation (from unit_scores) and its alarm rows in the span."""
    from sensor_tui.storage import Reader
    from sensor_tui.storage.alarm_reads import list_alarms
    from sensor_tui.storage.units import load_scores

    reader = Reader(db)
    try:
        conn = reader.connection().conn
        scores = {ts[:19]: flag for ts, _, _, flag in load_scores(conn, UNIT, stamps[0][:19])}
        alarms = [
            row
            for row in list_alarms(reader, tag=UNIT, limit=100_000)
            if stamps[0] <= row["start"][:19] + "Z" <= stamps[-1]
        ]
    finally:
        reader.close()
    flags = np.array([bool(scores.get(s[:19], False)) for s in stamps])
    return flags, sorted(alarms, key=lambda row: row["start"])


def score_file(name: str, fault: int, flags: np.ndarray, alarms: list[dict[str, Any]],
               stamps: list[str]) -> FileResult:  # fmt: skip
    """Detection, false alarms and delay of one file's verdicts and alarm rows."""
    onset = stamps[FAULT_AT] if fault else None
    late = [row for row in alarms if onset is not None and row["start"][:19] + "Z" >= onset]
    early = [row for row in alarms if onset is None or row["start"][:19] + "Z" < onset]
    delay = None
    if late and onset is not None:
        first = datetime.fromisoformat(late[0]["start"])
        delay = (first - datetime.fromisoformat(onset)).total_seconds() / 60
    return FileResult(
        name=name,
        fault=fault,
        detection=float(flags[FAULT_AT:].mean()) if fault else None,
        far_first_160=float(flags[:FAULT_AT].mean()),
        far=None if fault else float(flags.mean()),
        delay_minutes=delay,
        alarm_rows=len(alarms),
        false_alarm_rows=len(early),
        alarms=[
            {k: row[k] for k in ("start", "end", "kind", "readings", "contributions")}
            for row in alarms
        ],
    )


def pca_detector(reference: np.ndarray) -> Any:
    """The published baseline, as `detection.unit_evaluation.pca_baseline` builds it: PCA with
    9 components, T² or Q above its empirical 99% limit, fitted on d00."""
    from sensor_tui.detection.unit_pca import PCAUnitDetector

    baseline = PCAUnitDetector(TAGS, 9, 0.99)
    baseline.fit(reference)
    return baseline


def print_table(results: list[FileResult]) -> None:
    """One row per file: product figures beside the PCA baseline."""
    print(
        "| file | det | FAR 1-160 | FAR | delay min | alarm rows | false rows "
        "| PCA det | PCA FAR 1-160 | PCA FAR | leading tags of the first alarm |"
    )
    print("|" + " --- |" * 11)
    for r in results:
        first = next((a for a in r.alarms if a["contributions"]), None)
        shares = sorted((first or {}).get("contributions", {}).items(), key=lambda kv: -kv[1])
        lead = ", ".join(f"{tag} {share:.0%}" for tag, share in shares[:3])

        def pct(x: float | None) -> str:
            return "-" if x is None else f"{100 * x:.1f}%"

        print(
            f"| {r.name}{' (unscored)' if r.fault in UNSCORED else ''} | "
            f"{'-' if r.detection is None else f'{r.detection:.3f}'} | {pct(r.far_first_160)} | "
            f"{pct(r.far)} | {'-' if r.delay_minutes is None else f'{r.delay_minutes:.0f}'} | "
            f"{r.alarm_rows} | {r.false_alarm_rows} | "
            f"{'-' if r.pca_detection is None else f'{r.pca_detection:.3f}'} | "
            f"{pct(r.pca_far_first_160)} | {pct(r.pca_far)} | {lead} |"
        )


def summary(results: list[FileResult], us_per_observation: float, cpu_us: float) -> dict[str, Any]:
    """The --json figures (top level: the product; `pca`: the baseline)."""
    scored = [r for r in results if r.fault in DETECTABLE]
    normal = next((r for r in results if r.fault == 0), None)

    def mean(values: list[float | None]) -> float | None:
        kept = [v for v in values if v is not None]
        return round(statistics.fmean(kept), 4) if kept else None

    def pct(x: float | None) -> float | None:
        return None if x is None else round(100 * x, 2)

    return {
        "mean_detection": mean([r.detection for r in scored]),
        "far_d00_te": pct(normal.far) if normal else None,
        "far_first_160_mean": pct(mean([r.far_first_160 for r in results if r.fault])),
        "faults_alarmed": sum(1 for r in scored if r.delay_minutes is not None),
        "faults_scored": len(scored),
        "false_alarm_rows_d00_te": normal.alarm_rows if normal else None,
        "us_per_observation": round(us_per_observation, 2),
        "cpu_us_per_observation": round(cpu_us, 2),
        "pca": {
            "mean_detection": mean([r.pca_detection for r in scored]),
            "far_d00_te": pct(normal.pca_far) if normal else None,
        },
        "files": [asdict(r) for r in results],
    }


def run(faults: list[int], workdir: Path) -> tuple[list[FileResult], float, float]:
    """Import d00, mark it as the reference, import every test file; score each."""
    names = ["d00_te.dat", *(f"d{n:02d}_te.dat" for n in faults)]
    arrays = {name: load(name) for name in ["d00.dat", *names]}
    config = config_for(list(arrays.values()))
    db = workdir / "tep.db"
    reference_csv = workdir / "d00.csv"
    stamps = write_csv(reference_csv, arrays["d00.dat"], START)
    import_file(config, db, reference_csv)
    until = (datetime.fromisoformat(stamps[-1]) + STEP).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    mark_reference(config, db, stamps[0].replace("Z", ".000000Z"), until)
    results, seconds, cpu, judged = [], 0.0, 0.0, 0
    pca = pca_detector(arrays["d00.dat"])
    for i, name in enumerate(names):
        fault = int(name[1:3])
        path = workdir / name.replace(".dat", ".csv")
        file_stamps = write_csv(path, arrays[name], START + timedelta(days=3 * (i + 1)))
        spent, spent_cpu, count = import_file(config, db, path)
        seconds, cpu, judged = seconds + spent, cpu + spent_cpu, judged + count
        flags, alarms = read_back(db, file_stamps)
        result = score_file(name, fault, flags, alarms, file_stamps)
        baseline = np.asarray(pca.flags(arrays[name]), dtype=bool)
        result.pca_detection = float(baseline[FAULT_AT:].mean()) if fault else None
        result.pca_far_first_160 = float(baseline[:FAULT_AT].mean())
        result.pca_far = None if fault else float(baseline.mean())
        results.append(result)
        print(f"  {name}: {judged} observations judged so far", file=sys.stderr)
    return results, 1e6 * seconds / max(judged, 1), 1e6 * cpu / max(judged, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="Write the figures to this JSON file.")
    parser.add_argument("--faults", help="Comma-separated fault numbers (default: 1-21).")
    args = parser.parse_args()
    if not (DATA / "d00.dat").is_file():
        print(f"skipped: no Tennessee Eastman data at {DATA}")
        return
    faults = [int(n) for n in args.faults.split(",")] if args.faults else list(range(1, 22))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        results, us, cpu_us = run(faults, Path(tmp))
    print_table(results)
    figures = summary(results, us, cpu_us)
    top = {k: v for k, v in figures.items() if k != "files"}
    print(json.dumps(top, indent=2))
    print(f"({time.perf_counter() - started:.0f} s in all)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
