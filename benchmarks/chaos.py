"""Chaos run: break the monitor on purpose, many times, and count.

    python benchmarks/chaos.py --kills 100 --seconds 240

Each cycle launches the process under test, lets clients send batches, injects one fault and
SIGKILLs (or SIGTERMs) it; the next cycle restarts it on the same database and dead-letter file,
so every restart replays what the last one dead-lettered. At the end `sensor-tui recover` runs
once and every acknowledged reading is looked up: stored exactly once, or counted lost/duplicated.

Faults in the mix: plain kill -9; kill -9 during a simulated outage (batches dead-lettered);
kill -9 while another process holds `BEGIN EXCLUSIVE` past the retry budget; SIGTERM during an
outage (must exit 0 with the queue flushed); kill -9 of `sensor-tui run --headless` (simulator).

Clients are pluggable (`Client`): `DriverClient` runs a Pipeline in a child process
(`tests/support/chaos_driver.py`). `HttpClient` posts to `sensor-tui run --headless --http`
(`--client http`); the ledger and the checks are the same for both. The machinery lives in
`tests/support/chaos.py`, shared with the fault tests; this script is its command line.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.support

from tests.support.chaos import HttpClient, Tally, chaos


def print_table(tally: Tally, elapsed: float) -> None:
    """The issue's table, plus what was injected."""
    rows = [
        ("readings sent", tally.sent),
        ("acknowledged", tally.acknowledged),
        ("stored (acknowledged, found once)", tally.stored),
        ("dead-lettered then replayed", tally.dead_lettered),
        ("rejected (invalid on purpose)", tally.rejected),
        ("refused batches (not durable, sender told)", tally.refused),
        ("LOST", tally.lost),
        ("DUPLICATED", tally.duplicated),
        ("uninjected crashes", tally.crashes),
        ("kill -9 restarts", tally.kills),
        ("SIGTERM during outage", tally.sigterms),
        ("simulator readings committed (headless kill -9)", tally.sim_printed),
        ("simulator committed readings lost", tally.sim_lost),
        ("counter audits at clean stops", tally.audits),
        ("counter audits that did not balance", tally.audit_failures),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"chaos run: {tally.cycles} cycles in {elapsed:.0f} s, faults {dict(tally.faults)}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>9}")
    for note in tally.notes:
        print(f"  note: {note}")
    print("RESULT:", "PASS" if tally.ok else "FAIL")


def main(argv: list[str] | None = None) -> int:
    """Command line: bounded by --kills and --seconds, whichever comes first."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--kills", type=int, default=100, help="kill -9 restarts (default 100)")
    ap.add_argument("--seconds", type=float, default=300, help="time bound (default 300)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--client", choices=["pipeline", "http"], default="pipeline")
    ap.add_argument("--workdir", type=Path, help="keep files here (default: a temp directory)")
    args = ap.parse_args(argv)
    if args.client == "http" and not HttpClient.available():
        print("the HTTP endpoint is not in this build; use --client pipeline")
        return 2
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        workdir = args.workdir or Path(tmp)
        started = time.monotonic()
        tally = chaos(workdir, args.kills, args.seconds, args.seed, args.client)
        print_table(tally, time.monotonic() - started)
    return 0 if tally.ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
