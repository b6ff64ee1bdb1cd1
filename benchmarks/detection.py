"""Detection benchmark: each detector on labelled processes from families, through the pipeline.

    python benchmarks/detection.py [--seeds 2] [--readings 21600] [--faults-per-hour 3]

Part 1 draws each scenario's process from a family (`benchmarks/families.py`: slow and fast
wander, daily cycle, warm-up and cool-down ramps, quantised sensors, noise from 0.5% to 3% of the
band, at 1 s and 5 min intervals; and two widened families: the built-in simulator's process and
fault sizes, and restarts, gaps in the timestamps after which the process resumes elsewhere in
its band; both with flat excursions, steps of 5 to 1,000 readings and drifts of 120 to 600),
injects faults of the five kinds and labels them. Every
scenario is one tag; all go through one `Pipeline` per detector into a temporary SQLite file, and
the `alarms` table is read back and scored event by event (`sensor_tui.detection.evaluation`): an
alarm overlapping a fault or the 30 readings after it detects it, an alarm overlapping none is a
false alarm. Also printed: false alarms per tag-hour (a tag-hour is 3,600 readings, an hour at
1 Hz; at 5 min it is 12.5 days, so the figure is per reading count, not per wall-clock hour), the
share of detected faults whose alarm carries the fault's kind ("kind right"), the alarm-end lags
(readings from a fault's end to the end of the last alarm that detected it: median, 90th
percentile, the earliest and the latest), and the detector's own cost per reading (CPU time, alone
over the same values, median of scenarios).

Part 2 imports NAB's machine-temperature file (`../shared/data/nab/`, relative to the project)
with `import_csv`, as `sensor-tui import` does, and counts alarms against NAB's labelled windows;
skipped when absent. The whole corpus, scored by NAB's rules, is `benchmarks/nab.py`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import families
from sensor_tui.detection import DETECTORS
from sensor_tui.detection.evaluation import Score, Span, alarm_end_lags, score_alarms
from sensor_tui.model.readings import Reading, format_ts, normalize_ts
from sensor_tui.model.tags import Config, Tag
from sensor_tui.pipeline import Pipeline, iter_groups
from sensor_tui.sources.csv_import import import_csv
from sensor_tui.storage import connect

DETECTOR_NAMES = ("zscore", "robust")
GRACE_READINGS = 30
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "nab"
NAB_FILE = DATA / "machine_temperature_system_failure.csv"


def _config(scenarios: list[families.Scenario], detector: str) -> Config:
    low, high = families.BAND
    tags = tuple(
        Tag(s.name, "", (low, high), (low - 1000.0, high + 1000.0), detector) for s in scenarios
    )
    return replace(Config(), tags=tags, detector=detector)


def _readings(scenario: families.Scenario) -> list[Reading]:
    stamps = [format_ts(t) for t in scenario.timestamps()]
    return [
        Reading(scenario.name, t, v, "import") for t, v in zip(stamps, scenario.values, strict=True)
    ]


def _labels(scenario: families.Scenario, stamps: list[str]) -> list[Span]:
    return [Span(scenario.name, f.kind, stamps[f.start], stamps[f.end]) for f in scenario.faults]


def _read_alarms(db_path: Path) -> list[Span]:
    db = connect(db_path)
    rows = db.execute('SELECT tag, kind, start, "end" FROM alarms ORDER BY start').fetchall()
    db.close()
    return [Span(*row) for row in rows]


def _through_pipeline(config: Config, streams: list[list[Reading]], workdir: Path) -> list[Span]:
    """Store every stream through one fresh pipeline; the alarms it recorded."""
    db_path = workdir / f"{config.detector}.db"
    pipeline = Pipeline(config, db_path, workdir / f"{config.detector}.jsonl")
    pipeline.start(replay=False)
    futures = [
        pipeline.submit_readings(chunk) for stream in streams for chunk in iter_groups(stream, 5000)
    ]
    for future in futures:
        future.result()
    pipeline.stop()
    alarms = _read_alarms(db_path)
    db_path.unlink()
    return alarms


def _cost(detector_name: str, stream: list[Reading]) -> float:
    """Microseconds per reading of the detector alone (what the pipeline adds per reading), in
    CPU time of this thread: on a shared machine the wall clock also counts the time spent
    waiting for a core, which is not the detector's cost (on an idle machine the two agree)."""
    tag = Tag("t", "", families.BAND, (-1e9, 1e9), detector_name)
    update = DETECTORS[detector_name](tag).update
    pairs = [(r.value, r.timestamp) for r in stream]
    began = time.thread_time()
    for value, stamp in pairs:
        update(value, stamp)
    return (time.thread_time() - began) / len(pairs) * 1e6


def run_families(seeds: int, readings: int, faults_per_hour: float) -> dict[str, dict]:
    """Score every detector on the family scenarios; figures per detector."""
    scenarios = families.scenarios(seeds, readings, faults_per_hour)
    streams = [_readings(s) for s in scenarios]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in DETECTOR_NAMES:
            fresh = [[Reading(r.tag, r.timestamp, r.value, r.source) for r in s] for s in streams]
            alarms = _through_pipeline(_config(scenarios, name), fresh, Path(tmp))
            total, lags = Score(), []
            for scenario, stream in zip(scenarios, streams, strict=True):
                labels = _labels(scenario, [r.timestamp for r in stream])
                mine = [a for a in alarms if a.tag == scenario.name]
                grace = timedelta(seconds=GRACE_READINGS * scenario.interval)
                total.add(score_alarms(labels, mine, grace))
                lags += [lag / scenario.interval for lag in alarm_end_lags(labels, mine, grace)]
            costs = [_cost(name, stream) for stream in streams]
            lags.sort()
            results[name] = {
                "score": total,
                "lag": statistics.median(lags) if lags else float("nan"),
                "lag_p90": lags[int(0.9 * (len(lags) - 1))] if lags else float("nan"),
                "lag_early": lags[0] if lags else float("nan"),
                "lag_late": lags[-1] if lags else float("nan"),
                "us": statistics.median(costs),
                "tag_hours": sum(len(s.values) for s in scenarios) / 3600.0,
            }
    return results


def print_families(results: dict[str, dict], seeds: int, readings: int) -> None:
    """The per-detector table of part 1 (Markdown)."""
    n = seeds * len(families.FAMILIES) * len(families.INTERVALS)
    print(
        f"## Process families: {n} scenarios ({len(families.FAMILIES)} families x 1 s and 5 min "
        f"x {seeds} seeds), {readings:,} readings each"
    )
    kinds = " | ".join(f"R {k}" for k in families.FAULT_KINDS)
    print(
        "| detector | events | detected | alarms | false alarms | FA / tag-hour | precision "
        f"| recall | F1 | kind right | {kinds} | end lag median | p90 | worst early | worst late "
        "| µs/reading (CPU) |"
    )
    print("|" + " --- |" * (16 + len(families.FAULT_KINDS)))
    for name, figures in results.items():
        s: Score = figures["score"]
        by_kind = " | ".join(
            "-" if s.recall_of(k) is None else f"{s.recall_of(k):.2f}" for k in families.FAULT_KINDS
        )
        kind_right = s.kind_correct / s.detected if s.detected else 0.0
        print(
            f"| {name} | {s.events} | {s.detected} | {s.alarms} | {s.false_alarms} "
            f"| {s.false_alarms / figures['tag_hours']:.3f} | {s.precision:.3f} | {s.recall:.3f} "
            f"| {s.f1:.3f} | {kind_right:.2f} | {by_kind} | {figures['lag']:.0f} "
            f"| {figures['lag_p90']:.0f} | {figures['lag_early']:.0f} | {figures['lag_late']:.0f} "
            f"| {figures['us']:.2f} |"
        )
    print(
        "\nEnd lags count readings from a fault's last reading to its alarm's last flagged one "
        "(seconds at 1 Hz; negative: the alarm ended first). Targets for the default detector: "
        "median <= 60, p90 <= 120, worst early >= -60, kind right >= 0.9, F1 >= 0.95, "
        "FA / tag-hour <= 0.05, <= 5 µs/reading."
    )


def run_nab(path: Path) -> None:
    """Part 2: NAB machine temperature through `import_csv`, alarms against labelled windows."""
    labels_path = path.with_name(path.stem + ".labels.json")
    if not path.exists() or not labels_path.exists():
        print(f"\n## NAB: skipped ({path.name} or its labels file is absent)")
        return
    labels = json.loads(labels_path.read_text())
    windows = [
        Span("machine_temperature", "labelled", normalize_ts(a), normalize_ts(b))
        for a, b in labels["anomaly_windows"]
    ]
    print(f"\n## NAB {path.name}: {len(windows)} labelled windows, 5-minute readings")
    print("| detector | windows detected | alarms | alarms outside windows |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in DETECTOR_NAMES:
            tag = Tag("machine_temperature", "°F", (60.0, 100.0), (-50.0, 300.0), name)
            config = replace(Config(), tags=(tag,), detector=name)
            db_path = Path(tmp) / f"nab-{name}.db"
            pipeline = Pipeline(config, db_path, Path(tmp) / f"nab-{name}.jsonl")
            pipeline.start(replay=False)
            import_csv(pipeline, path, tag="machine_temperature")
            pipeline.stop()
            score = score_alarms(windows, _read_alarms(db_path), timedelta(0))
            found = f"{score.detected}/{score.events}"
            print(f"| {name} | {found} | {score.alarms} | {score.false_alarms} |")


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print their tables (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--readings", type=int, default=21_600)
    parser.add_argument("--faults-per-hour", type=float, default=3.0)
    parser.add_argument("--nab", type=Path, default=NAB_FILE)
    args = parser.parse_args(argv)
    results = run_families(args.seeds, args.readings, args.faults_per_hour)
    print_families(results, args.seeds, args.readings)
    run_nab(args.nab)
    return 0


if __name__ == "__main__":
    sys.exit(main())
