"""Detection benchmark: every detector on labelled scenarios, through the real pipeline.

    python benchmarks/detection.py [--seeds 5] [--hours 6] [--faults-per-hour 3] [--nab PATH]

Part 1 generates labelled streams with the simulator (the three built-in tags, 1 Hz, a slowly
varying process, every fault kind injected at random, random spikes off so every fault is
labelled), feeds each stream through a `Pipeline` into a temporary SQLite file with the detector
under test, reads the `alarms` table back and scores it event by event (`sensor_tui.evaluation`):
an alarm overlapping a fault or the grace period after it detects the fault, an alarm
overlapping none is a false alarm. The cost per reading is timed separately, by calling the
detector alone over the same values (median of the seeds), because the pipeline's own cost would
swamp it.

Part 2 imports the NAB machine-temperature file (real industrial data, see
`/work/shared/data/README.md`) with `import_csv`, as `sensor-tui import` does, and scores alarms
against NAB's labelled windows. Skipped, with a message, when the file is absent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sensor_tui.detection import DETECTORS
from sensor_tui.evaluation import Score, Span, score_alarms
from sensor_tui.pipeline import Pipeline, iter_groups
from sensor_tui.readings import Reading, normalize_ts
from sensor_tui.sources.csv_import import import_csv
from sensor_tui.sources.simulator import FAULT_KINDS, generate_scenario
from sensor_tui.storage import connect
from sensor_tui.tags import Config, SimulatorSettings, parse_config

DETECTOR_NAMES = ("zscore", "robust")
START = datetime(2026, 1, 5, tzinfo=UTC)
GRACE_READINGS = 30
"""Grace after a fault's last reading in which an alarm still counts as detecting it."""
QUIET_START = 600
"""No fault in the first ten minutes: every detector gets its warm-up."""
NAB_DIR = Path("/work/shared/data/nab")
NAB_TOML = """
default_tags = false
detector = "{detector}"
[[tags]]
name = "machine_temperature"
unit = "°F"
normal = [60.0, 100.0]
valid = [-50.0, 300.0]
"""


def _config(detector: str) -> Config:
    config = Config(simulator=SimulatorSettings(spike_rate=0.0), detector=detector)
    return replace(config, tags=tuple(replace(t, detector=detector) for t in config.tags))


def _read_alarms(db_path: Path) -> list[Span]:
    db = connect(db_path)
    rows = db.execute('SELECT tag, kind, start, "end" FROM alarms ORDER BY start').fetchall()
    db.close()
    return [Span(*row) for row in rows]


def _through_pipeline(config: Config, readings: list[Reading], workdir: Path) -> list[Span]:
    """Store the readings through a fresh pipeline and return the alarms it recorded."""
    db_path = workdir / f"{config.detector}.db"
    pipeline = Pipeline(config, db_path, workdir / f"{config.detector}.jsonl")
    pipeline.start(replay=False)
    futures = [pipeline.submit_readings(chunk) for chunk in iter_groups(readings, 5000)]
    for future in futures:
        future.result()
    pipeline.stop()
    alarms = _read_alarms(db_path)
    db_path.unlink()
    return alarms


def _detection_cost(config: Config, readings: list[Reading]) -> float:
    """Microseconds per reading of the detectors alone (what the writer thread adds)."""
    detectors = {tag.name: DETECTORS[tag.detector](tag) for tag in config.tags}
    pairs = [(detectors[r.tag].update, r.value, r.timestamp) for r in readings]
    began = time.perf_counter()
    for update, value, stamp in pairs:
        update(value, stamp)
    return (time.perf_counter() - began) / len(pairs) * 1e6


def _scenario(seed: int, hours: float, faults_per_hour: float) -> tuple[list[Reading], list[Span]]:
    readings, events = generate_scenario(
        _config("zscore"), seed, int(hours * 3600), START, 1.0, faults_per_hour, QUIET_START
    )
    last = readings[-1].timestamp
    labels = [Span(e.tag or "", e.kind, e.start, e.end or last) for e in events if e.start]
    return readings, labels


def _copy(readings: list[Reading]) -> list[Reading]:
    return [Reading(r.tag, r.timestamp, r.value, "import") for r in readings]


def run_generated(seeds: int, hours: float, faults_per_hour: float) -> dict[str, dict]:
    """Score every detector on `seeds` generated scenarios; figures per detector."""
    results: dict[str, dict] = {}
    scenarios = [_scenario(1000 + s, hours, faults_per_hour) for s in range(seeds)]
    with tempfile.TemporaryDirectory() as tmp:
        for name in DETECTOR_NAMES:
            config = _config(name)
            total, costs = Score(), []
            for readings, labels in scenarios:
                alarms = _through_pipeline(config, _copy(readings), Path(tmp))
                total.add(score_alarms(labels, alarms, timedelta(seconds=GRACE_READINGS)))
                costs.append(_detection_cost(config, _copy(readings)))
            tag_hours = len(config.tags) * hours * seeds
            results[name] = {"score": total, "us": statistics.median(costs), "tag_hours": tag_hours}
    return results


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_generated(results: dict[str, dict], seeds: int, hours: float) -> None:
    """The per-detector table of part 1."""
    print(f"\n## Generated scenarios: {seeds} seeds x {hours:g} h x 3 tags at 1 Hz")
    kinds = " | ".join(f"R {k}" for k in FAULT_KINDS)
    print(
        "| detector | events | detected | during fault | alarms | false alarms | FA / tag-hour "
        f"| precision | recall | F1 | kind right | {kinds} | µs/reading |"
    )
    print("|" + " --- |" * (13 + len(FAULT_KINDS)))
    for name, figures in results.items():
        s: Score = figures["score"]
        by_kind = " | ".join(_fmt(s.recall_of(k), 2) for k in FAULT_KINDS)
        kind_right = s.kind_correct / s.detected if s.detected else 0.0
        print(
            f"| {name} | {s.events} | {s.detected} | {s.during} | {s.alarms} | {s.false_alarms} "
            f"| {s.false_alarms / figures['tag_hours']:.3f} | {s.precision:.3f} | {s.recall:.3f} "
            f"| {s.f1:.3f} | {kind_right:.2f} | {by_kind} | {figures['us']:.2f} |"
        )
    if "zscore" in results and "robust" in results:
        z, r = results["zscore"]["score"], results["robust"]["score"]
        z_rate, r_rate = z.false_alarms, max(r.false_alarms, 1)
        print(
            f"\nrobust vs zscore: false alarms {r.false_alarms} vs {z.false_alarms} "
            f"({z_rate / r_rate:.0f}x fewer, floor 1), F1 {r.f1:.3f} vs {z.f1:.3f}, "
            f"cost {results['robust']['us'] / results['zscore']['us']:.2f}x"
        )


def run_nab(path: Path) -> None:
    """Part 2: NAB machine temperature through `import_csv`, scored against labelled windows."""
    labels_path = path.with_name(path.stem + ".labels.json")
    if not path.exists() or not labels_path.exists():
        print(f"\n## NAB: skipped ({path} or its labels file is absent)")
        return
    labels = json.loads(labels_path.read_text())
    windows = [
        Span("machine_temperature", "labelled", normalize_ts(a), normalize_ts(b))
        for a, b in labels["anomaly_windows"]
    ]
    print(f"\n## NAB {path.name}: {len(windows)} labelled windows, 5-minute readings")
    print("| detector | windows detected | alarms | alarms outside windows | precision | recall |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in DETECTOR_NAMES:
            config = parse_config(_toml(NAB_TOML.format(detector=name)))
            db_path = Path(tmp) / f"nab-{name}.db"
            pipeline = Pipeline(config, db_path, Path(tmp) / f"nab-{name}.jsonl")
            pipeline.start(replay=False)
            import_csv(pipeline, path, tag="machine_temperature")
            pipeline.stop()
            score = score_alarms(windows, _read_alarms(db_path), timedelta(0))
            print(
                f"| {name} | {score.detected}/{score.events} | {score.alarms} "
                f"| {score.false_alarms} | {score.precision:.3f} | {score.recall:.3f} |"
            )


def _toml(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print their tables (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--faults-per-hour", type=float, default=3.0)
    parser.add_argument(
        "--nab", type=Path, default=NAB_DIR / "machine_temperature_system_failure.csv"
    )
    args = parser.parse_args(argv)
    results = run_generated(args.seeds, args.hours, args.faults_per_hour)
    print_generated(results, args.seeds, args.hours)
    run_nab(args.nab)
    return 0


if __name__ == "__main__":
    sys.exit(main())
