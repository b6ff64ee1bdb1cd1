"""Readings into the monitor's screen: accepted ones at once, the commit marks later.

A mixin of `SensorApp`. Pipeline threads only put readings in the `LiveFeed` and post one
`ReadingsStored`; the app's thread moves them into the charts (marked not stored yet until their
commit), and the anomaly table (toasts are per alarm: `alarm_pane`).
"""

from __future__ import annotations

import time
from typing import Any

from sensor_tui.detection.base import is_warming_up
from sensor_tui.model.readings import Reading, epoch
from sensor_tui.pipeline import StoredBatch
from sensor_tui.tui.anomaly_table import AnomalyRow
from sensor_tui.tui.base import MonitorBase
from sensor_tui.tui.messages import AlarmSpansChanged, ReadingsStored


def is_warming(detector: Any) -> bool:
    """True while a detector says it has too few readings to judge (`warming_up`, which the
    built-in ones have; a plug-in without it is taken as judging). Read from the UI thread
    without a lock: a stale answer costs one tick."""
    return is_warming_up(detector)


class ReadingsIn(MonitorBase):
    """The hand-over from pipeline threads to the widgets."""

    def _on_accepted(self, batch: StoredBatch) -> None:
        """Pipeline thread: readings detected and queued. Touches no widget."""
        if self._feed.accepted(batch.readings):
            self.post_message(ReadingsStored())

    def _on_stored(self, batch: StoredBatch) -> None:
        """Pipeline thread: readings committed. Touches no widget."""
        if self._feed.stored(batch.readings):
            self.post_message(ReadingsStored())

    def on_readings_stored(self, _: ReadingsStored) -> None:
        """Move accepted readings into the charts (marked not stored yet), clear the marks of
        committed ones, feed the anomaly table."""
        accepted, stored, dropped = self._feed.take()
        if not self._table.is_attached:  # the last commits of a shutdown
            return
        self._chart_readings(accepted, unstored=True)
        unseen = self._settle(stored)  # after the accepted ones: a batch may be both at once
        if dropped and stored:  # commits coalesced away: what is older than these is stored too
            self._settle_before(max(epoch(r.timestamp) for r in stored))
        self._chart_readings(unseen, unstored=False)
        fresh = [*accepted, *unseen]
        anomalies = [AnomalyRow.from_reading(r) for r in fresh if r.is_anomaly]
        self._table.add_anomalies(anomalies)
        if not self.timeline.live:
            self.frozen_count += len(accepted)

    def _settle(self, stored: list[Reading]) -> list[Reading]:
        """Clear the not-stored marks of committed readings; return those never seen accepted
        (a dead-letter replay at start), which still belong on the charts."""
        unseen = []
        touched = set()
        for reading in stored:
            chart = self._charts.get(reading.tag)
            if chart is None:
                continue
            if not chart.settle((epoch(reading.timestamp), reading.timestamp)):
                unseen.append(reading)
            touched.add(chart)
        for chart in touched:
            chart.title_due = True
        return unseen

    def _settle_before(self, moment: float) -> None:
        for chart in self._charts.values():
            for key in [key for key in chart.unstored if key[0] <= moment]:
                del chart.unstored[key]
            chart.unstored_overflow = 0
            chart.title_due = True

    def _chart_readings(self, readings: list[Reading], unstored: bool) -> None:
        """Add readings to their charts' series (and, if not stored yet, to their marks)."""
        by_tag: dict[str, list[tuple[float, float, bool]]] = {}
        now = time.monotonic()
        for r in readings:
            chart = self._charts.get(r.tag)
            if chart is None:
                continue
            moment = epoch(r.timestamp)
            by_tag.setdefault(r.tag, []).append((moment, r.value, bool(r.is_anomaly)))
            if unstored:
                chart.add_unstored((moment, r.timestamp), r.value, now)
        for tag, points in by_tag.items():
            chart = self._charts[tag]
            if chart.series.add(points):
                chart.dirty = True
                chart.urgent = chart.urgent or any(point[2] for point in points)
            chart.title_due = True  # written on the next tick, in the same frame as the status

    def history_anomalies(self, rows: list[dict[str, Any]]) -> None:
        """The table's first rows, read with the history."""
        self._table.add_anomalies([AnomalyRow.from_row(row) for row in rows])

    def chart_tick(self) -> dict[str, float]:
        """On the refresh tick: mark the charts whose detector warms up; each tag's newest
        value (for the alarm pane's `now` column)."""
        values = {}
        for name, chart in self._charts.items():
            latest = chart.series.latest
            if latest:
                values[name] = latest[1]
            detector = self.monitor.pipeline.detectors.get(name)
            chart.set_warming(detector is not None and is_warming(detector))
        return values

    def on_alarm_spans_changed(self, message: AlarmSpansChanged) -> None:
        """Give each chart the spans of its tag's alarms: drawn at the next replot, or at once
        with `redraw` (the first load, which may land after the history was drawn)."""
        for tag, spans in message.spans.items():
            chart = self._charts.get(tag)
            if chart is not None:
                chart.set_spans(spans)
                if message.redraw and chart.last_view is not None:
                    chart.replot(*chart.last_view)
