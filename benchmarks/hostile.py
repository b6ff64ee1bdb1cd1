"""Hostile input at scale: N generated inputs through HTTP, MQTT and CSV import into one monitor.

    python benchmarks/hostile.py [--inputs 100000] [--seed 1] [--no-baseline]

Starts a real Mosquitto broker and one monitor (pipeline, HTTP server on 127.0.0.1:0, an MQTT
source), then feeds a third of the inputs through each source at once: timestamps in every
spelling (and the ones once stored as garbage), values (NaN, huge, strings, nesting), tags
(markup, control characters, lone surrogates, 5,000 characters), plus protocol-level hostile HTTP
requests. Then audits the database: every acknowledged reading stored exactly once, nothing
rejected stored. The baseline is the same number of clean, valid inputs in the same run, on a
fresh database. Targets: 0 crashes, 0 5xx, 0 acknowledged lost, 0 stored twice.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.support

from tests.support.hostile_run import HostileRun, Report
from tests.support.mosquitto_harness import Broker, find_mosquitto


def run_once(inputs: int, seed: int, valid_share: float) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp) / "broker").start()
        try:
            with HostileRun(Path(tmp), broker.port, seed, valid_share) as hostile:
                hostile.feed(inputs)
                return hostile.audit()
        finally:
            broker.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    if find_mosquitto() is None:
        print("mosquitto is not installed (apt-get install mosquitto)")
        return 2
    report = run_once(args.inputs, args.seed, 0.35)
    print(f"hostile run ({args.inputs:,} inputs, seed {args.seed}):")
    for line in report.lines():
        print(f"  {line}")
    rate = sum(report.inputs.values()) / report.seconds
    print(f"  inputs per second (mean over the run): {rate:,.0f}")
    if not args.no_baseline:
        clean = run_once(args.inputs, args.seed, 1.0)
        clean_rate = sum(clean.inputs.values()) / clean.seconds
        print(
            f"baseline: the same number of clean inputs: {clean.seconds:.1f} s, "
            f"{clean_rate:,.0f} inputs/s, lost {len(clean.lost)}"
        )
    failed = (
        report.crashes
        or report.server_errors
        or report.lost
        or report.stored_twice
        or report.rejected_stored
        or report.health != 200
    )
    for crash in report.crashes[:10]:
        print(f"  crash: {crash}")
    for line in report.misjudged[:10]:
        print(f"  validation disagreed: {line}")
    print("RESULT:", "FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
