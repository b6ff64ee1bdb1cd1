"""`sensor-tui run --headless`: the monitor as a console log, one line per committed batch.

Like the seed's ingestion console (`✓ Ingested 3 measurements (0 anomalies detected)`), plus a
line whenever the database outage starts or ends and whenever readings are dead-lettered. Every
line starts with the UTC time, and rejected readings are reported: on the next batch's
line, or on a line of their own when nothing of theirs was stored. Network sources (MQTT, OPC UA)
get a line when they connect, drop or are refused.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType
from typing import TextIO

from sensor_tui.model.counters import SourceState
from sensor_tui.model.stored_time import iso
from sensor_tui.pipeline import StoredBatch
from sensor_tui.pipeline.summary import dead_letter_lines, source_lines
from sensor_tui.runtime.monitor import Monitor


def utc_stamp(moment: float | None = None) -> str:
    """The time at the start of each console line: the stored form cut to the second."""
    return iso(time.time() if moment is None else moment)[:19] + "Z"


def by_reason(reasons: dict[str, int]) -> str:
    """`2 unknown tag, 1 bad timestamp` (most frequent reason first)."""
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{n} {reason}" for reason, n in ranked)


class ConsoleLog:
    """Prints pipeline outcomes; called from pipeline threads, so it only writes to a stream."""

    def __init__(self, monitor: Monitor, out: TextIO) -> None:
        self.monitor = monitor
        self.out = out
        self._lock = threading.Lock()
        self._outage = False
        self._dead_lettered = 0
        self._source_errors = 0
        self._rejected_seen: dict[str, int] = {}
        self._source_states: dict[str, tuple[str, str]] = {}
        self._forward_since = ""

    def stored(self, batch: StoredBatch) -> None:
        """One line per committed batch, with the rejections counted since the last line."""
        anomalies = sum(1 for r in batch.readings if r.is_anomaly)
        verb = "Replayed" if batch.source == "replay" else "Ingested"
        rejected = self._new_rejections()
        extra = f", {sum(rejected.values())} rejected: {by_reason(rejected)}" if rejected else ""
        self._print(
            f"✓ {verb} {len(batch.readings)} measurements ({anomalies} anomalies detected{extra})"
        )

    def _new_rejections(self) -> dict[str, int]:
        """Rejections by reason counted since the previous call (pipeline threads and poll)."""
        with self._lock:
            now = dict(self.monitor.pipeline.snapshot().rejected)
            new = {r: n - self._rejected_seen.get(r, 0) for r, n in now.items()}
            self._rejected_seen = now
        return {reason: n for reason, n in new.items() if n > 0}

    def poll(self) -> None:
        """Report changes of outage and dead-letter state (called about once a second)."""
        rejected = self._new_rejections()  # a batch with nothing stored has no line of its own
        if rejected:
            self._print(f"✗ Rejected {sum(rejected.values())} measurements ({by_reason(rejected)})")
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
        self._network_sources(snap.sources)
        if snap.forwarding and (snap.forward_since or self._forward_since):
            # While the historian is away: "forward: behind N readings since T" every poll.
            if snap.forward_since or snap.forward_since != self._forward_since:
                self._print(f"{'⚠' if snap.forward_since else '✓'} {snap.forward_text}")
            self._forward_since = snap.forward_since
        if snap.retry_depth:
            self._print(f"… {snap.retry_depth} measurements waiting for retry")

    def _network_sources(self, sources: tuple[SourceState, ...]) -> None:
        """A line when an MQTT broker or OPC UA server connects, drops or refuses."""
        for source in sources:
            now = (source.state, source.error)
            if self._source_states.get(source.name) == now or source.state == "stopped":
                continue
            self._source_states[source.name] = now
            if source.state == "connected":
                self._print(f"✓ {source.name} connected")
            elif source.state != "connecting":
                reason = f"{source.reason}: " if source.reason else ""
                self._print(f"⚠ {source.name} {source.state}: {reason}{source.error}")

    def _print(self, line: str) -> None:
        with self._lock:
            print(f"{utc_stamp()} {line}", file=self.out, flush=True)


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
    pipeline = monitor.pipeline
    pending = pipeline.dead_letter.pending()
    for line in dead_letter_lines(
        snap.dead_lettered, pending, pipeline.dead_letter.path, pipeline.db_path
    ) + source_lines(snap.sources):
        console._print(line)
    return 0
