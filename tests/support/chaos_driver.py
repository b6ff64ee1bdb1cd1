"""Chaos child process: a real Pipeline fed by client threads, one JSON line per event.

The parent (`benchmarks/chaos.py`, `tests/reliability/`) kills it with SIGKILL at random moments
and then checks the database against the `ack` lines. An `ack` line is printed only after the
batch's future resolved, i.e. after the readings were committed to SQLite or fsynced to the
dead-letter file: the same rule an HTTP 200 follows. The readings of batch (run, index) are a pure
function of those two numbers (`chaos_keys.batch_measurements`), so the parent can rebuild them.

Lines on stdout (each one `write` of < PIPE_BUF bytes, so a kill never interleaves them):
    {"ev": "ready", "replayed": n}
    {"ev": "sent", "run": r, "index": i, "n": k}
    {"ev": "ack", "run": r, "index": i, "accepted": a, "rejected": j, "stored": s, "dl": d}
    {"ev": "nack", "run": r, "index": i, "error": "..."}
    {"ev": "stopped", ...counters}   (after SIGTERM / SIGINT / --batches done)
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project root: tests.support

from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import NotDurable, Pipeline, PipelineStopped, RetryPolicy
from tests.support.chaos_keys import batch_measurements

_print_lock = threading.Lock()


def emit(**fields: object) -> None:
    """One JSON line, written and flushed as a whole."""
    line = (json.dumps(fields) + "\n").encode()
    with _print_lock:
        os.write(1, line)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The driver's options (paths, run number, workload, injected outages)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", required=True)
    ap.add_argument("--dead-letter", required=True)
    ap.add_argument("--run", type=int, required=True)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--batches", type=int, default=0, help="per client; 0 = until killed")
    ap.add_argument("--outage-chance", type=float, default=0.0, help="per batch, toggles outage")
    ap.add_argument("--retry-attempts", type=int, default=2)
    ap.add_argument("--retry-base", type=float, default=0.02)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pause", type=float, default=0.0, help="seconds between a client's batches")
    return ap.parse_args(argv)


def client_loop(
    pipeline: Pipeline, args: argparse.Namespace, client: int, stop: threading.Event
) -> None:
    """Submit batches one after another and report each outcome."""
    rng = random.Random(args.seed * 1000 + args.run * 10 + client)
    count = 0
    while not stop.is_set() and (args.batches == 0 or count < args.batches):
        index = count * args.clients + client
        count += 1
        if args.outage_chance and rng.random() < args.outage_chance:
            pipeline.set_outage(not pipeline.outage_switch.on)
        items = batch_measurements(args.run, index, args.batch_size)
        emit(ev="sent", run=args.run, index=index, n=len(items))
        try:
            result = pipeline.submit(items, "http").result()
        except PipelineStopped:
            return
        except NotDurable as exc:
            emit(ev="nack", run=args.run, index=index, error=str(exc))
            continue
        if args.pause:
            stop.wait(args.pause)
        emit(
            ev="ack",
            run=args.run,
            index=index,
            accepted=result.accepted,
            rejected=len(result.rejected),
            stored=result.stored,
            dl=result.dead_lettered,
        )


def main(argv: list[str] | None = None) -> int:
    """Start the pipeline (replaying the dead-letter file), run the clients until told to stop."""
    args = parse_args(argv)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1` dumps every thread's stack to stderr
    retry = RetryPolicy(attempts=args.retry_attempts, base_delay=args.retry_base, max_delay=0.2)
    pipeline = Pipeline(load_config(None), args.db, args.dead_letter, retry)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    replayed = pipeline.start()
    emit(ev="ready", replayed=replayed.stored if replayed else 0)
    threads = [
        threading.Thread(target=client_loop, args=(pipeline, args, c, stop), daemon=True)
        for c in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads) and not stop.wait(0.05):
        pass
    stop.set()
    pipeline.stop()
    for thread in threads:
        thread.join(5)
    emit(ev="stopped", **pipeline.snapshot().as_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
