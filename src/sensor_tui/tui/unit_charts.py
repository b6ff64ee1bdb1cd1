"""The units' charts in the charts pane: each unit's health after the tags' charts.

Once a second a worker reads each unit's statistics for the span in view from SQLite (a `Reader`:
the UI never writes) and the charts redraw. Marking a span as normal (key `M`) asks the pipeline
to refit the unit's detector on the readings stored in it, on the writer thread, and to store the
new reference. A part of the charts pane, not a widget: its workers run on the pane.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.widget import Widget

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.when import iso
from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.storage import Reader
from sensor_tui.tui.chart_loads import read_unit_scores
from sensor_tui.tui.messages import UnitScoresLoaded
from sensor_tui.tui.unit_chart import UnitChartPanel

UNIT_REFRESH = 1.0
"""Least seconds between reads of the units' statistics (observations come at most once a
second); a wide window waits for about a column of time (window / 100), as the tags' charts do."""


class UnitCharts:
    """One chart per configured unit, numbered after the tags' charts, and their reads."""

    def __init__(self, pane: Widget, monitor: Monitor | HistorianView) -> None:
        self.pane = pane
        self.monitor = monitor
        first = len(monitor.config.tags) + 1
        self.panels = {
            unit.name: UnitChartPanel(unit, first + k, id=f"unit-panel-{k}")
            for k, unit in enumerate(monitor.config.units)
        }
        self._read_at = 0.0
        self._reader: Reader | None = None

    def tick(self, span: tuple[float, float], window: float, force: bool = False) -> None:
        """Read the units' statistics again, at most once per UNIT_REFRESH."""
        now = time.monotonic()
        period = max(UNIT_REFRESH, window / 100)
        if self.panels and (force or now - self._read_at >= period):
            self._read_at = now
            self.pane.run_worker(
                lambda: self._load(*span), thread=True, group="unit-scores", exclusive=True
            )

    def _load(self, since: float, until: float) -> None:
        """Thread worker: one read-only connection, reused (one worker at a time)."""
        if self._reader is None:
            self._reader = Reader(self.monitor.pipeline.db_path)
        message = read_unit_scores(self._reader, list(self.panels), since, until)
        if message is not None:
            self.pane.post_message(message)

    def scores_loaded(self, message: UnitScoresLoaded, span: tuple[float, float]) -> None:
        """Redraw each unit's chart."""
        stage = self.monitor.pipeline.detection.units
        for name, panel in self.panels.items():
            points = message.points.get(name, [])
            # statistics in view: the unit is judged (a monitor not started loads no reference)
            panel.chart.set_points(points, None if points else stage.status(name))
            panel.chart.replot(*span)

    def mark_reference(
        self, unit: str | None, tag: str, span: tuple[float, float], done: Callable[[], None]
    ) -> None:
        """Learn `span` as the normal behaviour of `unit` (or, with None, of `tag`'s unit);
        `done` runs on the UI thread after."""
        units = self.monitor.config.units
        name = unit or next((u.name for u in units if tag in u.tags), None)
        if name is None:
            self.pane.notify("The selected tag belongs to no unit ([[units]]).", severity="warning")
            return
        self.pane.run_worker(
            lambda: self._refit(name, *span, done),
            thread=True,
            group="unit-refit",
            exclusive=True,
        )

    def _refit(self, name: str, since: float, until: float, done: Callable[[], None]) -> None:
        app = self.pane.app
        try:
            ref = self.monitor.pipeline.refit_unit(name, iso(since), iso(until)).result(60)
        except (ValueError, SensorTuiError, TimeoutError) as exc:
            app.call_from_thread(
                self.pane.notify,
                str(exc),
                title=f"{name}: reference not changed",
                severity="error",
            )
            return
        app.call_from_thread(
            self.pane.notify,
            f"learned from {ref.observations} observations in view; stored for the next start",
            title=f"{name}: new reference",
        )
        app.call_from_thread(done)
