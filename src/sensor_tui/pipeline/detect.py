"""The detection stage: score each reading, group flagged ones into alarms.

It runs in the sender's thread, under the pipeline's submit lock together with the enqueue, so
each tag's detector sees readings in exactly the order the writer commits them; running it there
rather than in the writer lets an import detect chunk N+1 while SQLite (outside the GIL) inserts
chunk N. The writer takes the changed alarms with each transaction.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sensor_tui.alarming.episodes import EpisodeFacts
from sensor_tui.detection import Detector, make_detector
from sensor_tui.detection.alarms import Alarm, AlarmTracker
from sensor_tui.detection.base import warm_from
from sensor_tui.model.tags import Config, ConfigError
from sensor_tui.pipeline.batches import Batch
from sensor_tui.pipeline.units import UnitStage
from sensor_tui.storage import Reader
from sensor_tui.storage.units import load_references

log = logging.getLogger(__name__)

WARM_HISTORY = 2000
"""Readings per tag fed to a detector at start, so a restart has no warm-up blind spot (the
robust detector's noise scale spans about 2,000 readings; a few ms per tag at start)."""


class DetectionStage:
    """Per-tag detectors and the alarm tracker, shared by senders (feed) and the writer (take).

    Alarms are fed where detection runs (a sender's thread) and written by the writer, so both
    hold `_alarms_lock`; never the submit lock, which a sender holds while it waits for room in
    the queue that only the writer can make.
    """

    def __init__(self, config: Config) -> None:
        try:
            self.detectors: dict[str, Detector] = {t.name: make_detector(t) for t in config.tags}
            self.units = UnitStage(config)
            """The units' observations and detectors: used on the writer thread only."""
        except ValueError as exc:  # an unknown detector name: the configuration's fault
            raise ConfigError(str(exc)) from exc
        self.alarms = AlarmTracker()
        self.facts = EpisodeFacts(config)
        """Peak value, deviation and value now of each changed alarm."""
        self._alarms_lock = threading.Lock()

    def warm(self, reader: Reader) -> None:
        """Feed each detector its tag's recent history (no warm-up blind spot after a restart);
        with the timestamps to a detector that takes them (`WarmsWithTime`: its daily profile
        learns the time of day), as values to one that does not (a plug-in's `warm`). Units
        load their stored references."""
        if self.units.units:
            self.units.load(load_references(reader.connection().conn))
        for name, detector in self.detectors.items():
            history = reader.recent_readings(name, WARM_HISTORY)
            warm_from(detector, history)

    def detect(self, batch: Batch) -> None:
        """Score each reading; a detector that raises costs the verdict, never the reading."""
        detectors = self.detectors
        for reading in batch.readings:
            try:
                flagged, reading.score, reading.kind = detectors[reading.tag].update(
                    reading.value, reading.timestamp
                )
            except Exception:  # a plug-in detector's bug: store the reading unscored
                log.exception(
                    "detector for %s failed; reading stored without a verdict", reading.tag
                )
                flagged, reading.score, reading.kind = False, None, None
            if flagged:
                reading.is_anomaly = True
                batch.anomalies[reading.tag, reading.kind or "anomaly"] += 1
        with self._alarms_lock:
            if batch.anomalies or self.alarms.open_alarms():
                self.alarms.feed(batch.readings)
                self.facts.observe(batch.readings, bool(batch.anomalies))

    def take_alarms(self) -> tuple[list[Alarm], list[dict[str, Any]]]:
        """Alarms opened, extended or closed since the last write, and their rows."""
        with self._alarms_lock:
            changed = self.alarms.take_changed()
            return changed, self.facts.rows(changed)

    def requeue_alarms(self, changed: list[Alarm]) -> None:
        """Their write failed: hand them back to be written with the next one."""
        if changed:
            with self._alarms_lock:
                self.alarms.requeue(changed)

    def close_all(self) -> None:
        """Shutting down: every open alarm ends (written by the writer's last step)."""
        with self._alarms_lock:
            self.alarms.close_all()
        self.units.close_all()
