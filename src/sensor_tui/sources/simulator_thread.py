"""The simulator's thread: one batch per interval into the pipeline, pause, resume, inject.

Why a module apart from the simulator: the simulator is a deterministic generator (a seed and a
moment give the same readings, so scenarios and benchmarks are reproducible); this is the live
clock around it, with its lock, its fixed tick grid and its failure handling. `Simulated` names
the little it uses of the simulator.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Protocol

from sensor_tui.model.events import Event
from sensor_tui.model.readings import Reading
from sensor_tui.pipeline import BatchResult, Pipeline, PipelineStopped

log = logging.getLogger("sensor_tui.sources.simulator")  # the simulator's one logger, as before


class Simulated(Protocol):
    """What the thread calls on the simulator (`sources.simulator.Simulator`)."""

    def inject(self, tag: str, kind: str, duration: int | None = None) -> Event:
        """Start a fault on a tag."""

    def active_faults(self) -> list[Event]:
        """Faults in progress."""

    def next_batch(self, moment: datetime | None = None) -> list[Reading]:
        """One reading per tag."""


class SimulatorThread:
    """Feeds one simulator batch per interval into the pipeline; pause, resume and inject faults.

    The simulator itself is not thread-safe; every call into it holds `_lock`. Ticks are scheduled
    on a fixed grid (not `sleep(interval)` after work), so the rate does not drift under load.
    """

    def __init__(
        self,
        simulator: Simulated,
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
        self.error: str | None = None
        """Why the last tick failed, until one succeeds again (the status shows it)."""

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

    def _guarded_tick(self) -> None:
        """Tick; an exception is logged, counted and shown, and the next tick tries again.

        Unguarded, one exception ended the thread silently while the status still said RUNNING
        as the writer and retry threads once did.
        """
        try:
            self.tick()
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if error != self.error:  # one traceback per distinct failure, not one per tick
                log.exception("simulator tick failed")
            self.error = error
            self.pipeline.counters.add(source_errors=1)
            self.pipeline.counters.set(source_error=f"simulator: {error}")
        else:
            self.error = None

    def _run(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            self._guarded_tick()
            next_tick += self.interval
            delay = next_tick - time.monotonic()
            if delay < 0:  # fell behind (suspended laptop, overloaded box): skip, do not burst
                next_tick = time.monotonic()
                delay = 0
            self._stop.wait(delay)
