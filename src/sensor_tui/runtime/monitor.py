"""The running monitor without a face: pipeline + simulator thread (+ HTTP, MQTT, OPC UA),
started and stopped together. The headless console and the Textual app are both thin clients of
one `Monitor`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sensor_tui.alarming.notify import Notifier
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline, RetryPolicy
from sensor_tui.sources import Source, build_source
from sensor_tui.sources.config import SourceSettings
from sensor_tui.sources.simulator import Simulator, SimulatorThread
from sensor_tui.storage.readers import HistoryReader, LocalReader

if TYPE_CHECKING:
    from sensor_tui.http import HttpServer
    from sensor_tui.pipeline.forward import Forwarder

log = logging.getLogger(__name__)


@dataclass(slots=True)
class MonitorOptions:
    """What `sensor-tui run` was told: paths, simulator, HTTP and source settings."""

    db_path: Path
    dead_letter_path: Path | None = None
    interval: float = 1.0
    simulate: bool = True
    seed: int | None = None
    http: str | None = None
    token: str | None = None
    sources: tuple[SourceSettings, ...] = ()
    """Network sources (MQTT brokers, OPC UA servers), checked by `sources.config`."""
    forward: str | None = None
    """The historian's postgresql:// URL to forward to (`pipeline.forward`); None: none."""


class Monitor:
    """Pipeline, simulator thread, optional HTTP server and network sources, as one unit."""

    read_only: str | None = None
    """Why this monitor changes nothing (a viewer's reason), or None: the live monitor can."""

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
        self.sources: list[Source] = [build_source(s, self.pipeline) for s in options.sources]
        self.http: HttpServer | None = None
        self.http_url: str | None = None
        self.forwarder: Forwarder | None = None
        self.notifier: Notifier | None = None
        if config.alarms.notify:
            self.notifier = Notifier(config.alarms)
            self.pipeline.subscribe_alarms(self.notifier.offer)

    def open_reader(self) -> HistoryReader:
        """A read-only reader of this monitor's file, for one worker thread (the caller closes
        it); `runtime.historian_view.HistorianView` answers the same for the historian."""
        return LocalReader(self.options.db_path)

    def start(self) -> None:
        """Start the pipeline (replaying the dead-letter file), the HTTP server, the simulator."""
        if self.notifier is not None:
            self.notifier.start()
        result = self.pipeline.start(end_stale=True)
        if result is not None and (result.stored or result.duplicates or result.bad_lines):
            log.info(
                "replayed dead-letter file: %d stored, %d already stored, %d unreadable",
                result.stored,
                result.duplicates,
                result.bad_lines,
            )
        if self.options.forward:
            self._start_forwarder(self.options.forward)
        if self.options.http:
            self._start_http()
        for source in self.sources:
            source.start()
        if self.simulator is not None:
            self.simulator.start()

    def _start_forwarder(self, url: str) -> None:
        from sensor_tui.pipeline.forward import Forwarder, ForwardSettings

        settings = ForwardSettings(url=url, site=self.config.site)
        pipe = self.pipeline
        self.forwarder = Forwarder(
            settings, self.options.db_path, self.config, pipe.counters, pipe.run_on_writer
        )
        self.forwarder.start()

    def _start_http(self) -> None:
        from sensor_tui.http import start_server  # only when asked for: no cost otherwise

        assert self.options.http is not None  # only called when asked for
        self.http = start_server(self.pipeline, self.options.http, self.options.token)
        self.http_url = self.http.url

    def stop(self) -> None:
        """Stop sources first, then flush the pipeline to SQLite or the dead-letter file."""
        if self.simulator is not None:
            self.simulator.stop()
        for source in self.sources:
            source.stop()  # hands what it holds to the pipeline, which is still running
        if self.http is not None:
            self.http.stop()
        if self.forwarder is not None:
            self.pipeline.flush(5.0)  # what the sources handed over, stored, then sent if it can
            self.forwarder.stop()  # before the pipeline: its watermark goes through the writer
        self.pipeline.stop()
        if self.notifier is not None:
            self.notifier.stop()
