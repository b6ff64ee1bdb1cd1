"""`sensor-tui run --headless`: the monitor as a console log, one line per committed batch.

Like the seed's ingestion console (`✓ Ingested 3 measurements (0 anomalies detected)`), plus a
line whenever the database outage starts or ends and whenever readings are dead-lettered.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType
from typing import TextIO

from sensor_tui.pipeline import StoredBatch
from sensor_tui.runner import Monitor


class ConsoleLog:
    """Prints pipeline outcomes; called from pipeline threads, so it only writes to a stream."""

    def __init__(self, monitor: Monitor, out: TextIO) -> None:
        self.monitor = monitor
        self.out = out
        self._lock = threading.Lock()
        self._outage = False
        self._dead_lettered = 0
        self._source_errors = 0

    def stored(self, batch: StoredBatch) -> None:
        """One line per committed batch."""
        anomalies = sum(1 for r in batch.readings if r.is_anomaly)
        verb = "Replayed" if batch.source == "replay" else "Ingested"
        self._print(f"✓ {verb} {len(batch.readings)} measurements ({anomalies} anomalies detected)")

    def poll(self) -> None:
        """Report changes of outage and dead-letter state (called about once a second)."""
        snap = self.monitor.pipeline.snapshot()
        if snap.outage != self._outage:
            self._outage = snap.outage
            if snap.outage:
                self._print(f"⚠ Database unavailable ({snap.outage_reason}); retrying with backoff")
            else:
                self._print("✓ Database writes succeed again")
        if snap.dead_lettered > self._dead_lettered:
            n = snap.dead_lettered - self._dead_lettered
            self._print(
                f"✗ Dead-lettered {n} measurements to {self.monitor.pipeline.dead_letter.path}"
            )
            self._dead_lettered = snap.dead_lettered
        if snap.source_errors > self._source_errors:
            self._source_errors = snap.source_errors
            self._print(f"✗ {snap.source_error} (failed {snap.source_errors} times; see the log)")
        if snap.retry_depth:
            self._print(f"… {snap.retry_depth} measurements waiting for retry")

    def _print(self, line: str) -> None:
        with self._lock:
            print(line, file=self.out, flush=True)


def run_headless(monitor: Monitor, duration: float | None, out: TextIO = sys.stdout) -> int:
    """Run until the duration ends, SIGTERM or Ctrl+C; flush everything; return the exit code."""
    console = ConsoleLog(monitor, out)
    monitor.pipeline.subscribe(console.stored)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        monitor.start()
        if monitor.http_url:
            console._print(f"HTTP endpoint on {monitor.http_url}")
        deadline = None if duration is None else time.monotonic() + duration
        while not stop.is_set():
            left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if left <= 0 or stop.wait(left):
                break
            console.poll()
    finally:
        monitor.stop()
        console.poll()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    snap = monitor.pipeline.snapshot()
    console._print(
        f"Stopped: {snap.stored} stored, {snap.rejected_total} rejected, "
        f"{snap.dead_lettered} dead-lettered, {snap.anomalies_total} anomalies"
    )
    return 0
