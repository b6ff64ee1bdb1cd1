"""The running monitor without a face: pipeline + simulator thread (+ HTTP), started and stopped
together. The headless console and the Textual app are both thin clients of one `Monitor`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from sensor_tui.alarming.notify import Notifier
from sensor_tui.pipeline import BatchResult, Pipeline, PipelineStopped, RetryPolicy
from sensor_tui.simulator import Event, Simulator
from sensor_tui.tags import Config

log = logging.getLogger(__name__)


class SimulatorThread:
    """Feeds one simulator batch per interval into the pipeline; pause, resume and inject faults.

    The simulator itself is not thread-safe; every call into it holds `_lock`. Ticks are scheduled
    on a fixed grid (not `sleep(interval)` after work), so the rate does not drift under load.
    """

    def __init__(
        self,
        simulator: Simulator,
        pipeline: Pipeline,
        interval: float = 1.0,
        on_batch: Callable[[Future[BatchResult]], None] | None = None,
    ) -> None:
        self.simulator = simulator
        self.pipeline = pipeline
        self.interval = interval
        self.on_batch = on_batch
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)

    @property
    def paused(self) -> bool:
        """True while the operator has paused the simulator."""
        return self._paused.is_set()

    def pause(self, paused: bool) -> None:
        """Pause or resume."""
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    def inject(self, tag: str, kind: str, duration: int | None = None) -> Event:
        """Start a fault on a tag (see `Simulator.inject`)."""
        with self._lock:
            return self.simulator.inject(tag, kind, duration)

    def active_faults(self) -> list[Event]:
        """Faults in progress."""
        with self._lock:
            return list(self.simulator.active_faults())

    def start(self) -> None:
        """Start ticking."""
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def tick(self) -> Future[BatchResult] | None:
        """Generate and submit one batch now (unless paused)."""
        if self.paused:
            return None
        with self._lock:
            batch = self.simulator.next_batch()
        try:
            future = self.pipeline.submit_readings(batch)
        except PipelineStopped:
            return None
        if self.on_batch is not None:
            self.on_batch(future)
        return future

    def _run(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            self.tick()
            next_tick += self.interval
            delay = next_tick - time.monotonic()
            if delay < 0:  # fell behind (suspended laptop, overloaded box): skip, do not burst
                next_tick = time.monotonic()
                delay = 0
            self._stop.wait(delay)


@dataclass(slots=True)
class MonitorOptions:
    """What `sensor-tui run` was told: paths, simulator and HTTP settings."""

    db_path: Path
    dead_letter_path: Path | None = None
    interval: float = 1.0
    simulate: bool = True
    seed: int | None = None
    http: str | None = None
    token: str | None = None


class Monitor:
    """Pipeline, simulator thread and optional HTTP server, as one unit with start/stop."""

    def __init__(
        self,
        config: Config,
        options: MonitorOptions,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.options = options
        self.pipeline = Pipeline(config, options.db_path, options.dead_letter_path, retry)
        self.simulator: SimulatorThread | None = None
        if options.simulate:
            sim = Simulator(config, seed=options.seed, on_event=self.pipeline.record_event)
            self.simulator = SimulatorThread(sim, self.pipeline, options.interval)
        self.http = None
        self.http_url: str | None = None
        self.notifier: Notifier | None = None
        if config.alarms.notify:
            self.notifier = Notifier(config.alarms)
            self.pipeline.subscribe_alarms(self.notifier.offer)

    def start(self) -> None:
        """Start the pipeline (replaying the dead-letter file), the HTTP server, the simulator."""
        if self.notifier is not None:
            self.notifier.start()
        result = self.pipeline.start()
        if result is not None and (result.stored or result.duplicates or result.bad_lines):
            log.info(
                "replayed dead-letter file: %d stored, %d already stored, %d unreadable",
                result.stored,
                result.duplicates,
                result.bad_lines,
            )
        if self.options.http:
            self._start_http()
        if self.simulator is not None:
            self.simulator.start()

    def _start_http(self) -> None:
        from sensor_tui.http import start_server  # only when asked for: no cost otherwise

        self.http = start_server(self.pipeline, self.options.http, self.options.token)
        self.http_url = self.http.url

    def stop(self) -> None:
        """Stop sources first, then flush the pipeline to SQLite or the dead-letter file."""
        if self.simulator is not None:
            self.simulator.stop()
        if self.http is not None:
            self.http.stop()
        self.pipeline.stop()
        if self.notifier is not None:
            self.notifier.stop()
