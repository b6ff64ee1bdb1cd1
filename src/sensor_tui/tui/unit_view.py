"""The monitor's unit health: each unit's chart after the tags' charts, and the key `M`.

A mixin of `SensorApp`. Once a second a worker reads each unit's statistics for the span in view
from SQLite (a `Reader`: the UI never writes) and the charts redraw. `M` marks the span in view as
normal for the selected unit (or the selected tag's unit): the pipeline refits the unit's detector
on the readings stored in it, on the writer thread, and stores the new reference.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from textual import work
from textual.message import Message

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.when import iso
from sensor_tui.storage import Reader, StoreUnavailable
from sensor_tui.storage.units import load_scores
from sensor_tui.tui.base import MonitorBase
from sensor_tui.tui.unit_chart import Points, UnitChartPanel

UNIT_REFRESH = 1.0
"""Least seconds between reads of the units' statistics (observations come at most once a
second); a wide window waits for about a column of time (window / 100), as the tags' charts do."""
MAX_POINTS = 20_000
"""Newest statistics read for a view (a column of the chart holds many at long windows)."""


@dataclass
class UnitScoresLoaded(Message):
    """Each unit's statistics in the view, read from SQLite."""

    points: dict[str, Points]
    since: float
    until: float


class UnitView(MonitorBase):
    """Unit charts and the reference key."""

    _unit_panels: dict[str, UnitChartPanel]
    _units_read_at: float = 0.0
    _unit_reader: Reader | None = None

    def unit_panels(self) -> list[UnitChartPanel]:
        """One panel per configured unit, numbered after the tags' charts."""
        first = len(self.monitor.config.tags) + 1
        self._unit_panels = {
            unit.name: UnitChartPanel(unit, first + k, id=f"unit-panel-{k}")
            for k, unit in enumerate(self.monitor.config.units)
        }
        return list(self._unit_panels.values())

    def _unit_tick(self, force: bool = False) -> None:
        """Read the units' statistics again, at most once per UNIT_REFRESH."""
        now = time.monotonic()
        period = max(UNIT_REFRESH, self.timeline.window / 100)
        if self._unit_panels and (force or now - self._units_read_at >= period):
            self._units_read_at = now
            self._load_unit_scores(*self.view_span())

    def view_span(self) -> tuple[float, float]:
        """(since, until) the charts show now (Navigation)."""
        raise NotImplementedError

    @work(thread=True, group="unit-scores", exclusive=True)
    def _load_unit_scores(self, since: float, until: float) -> None:
        if self._unit_reader is None:  # one read-only connection, reused (one worker at a time)
            self._unit_reader = Reader(self.monitor.pipeline.db_path)
        points: dict[str, Points] = {}
        try:
            conn = self._unit_reader.connection().conn
            for name in self._unit_panels:
                points[name] = load_scores(conn, name, iso(since), iso(until), MAX_POINTS)
        except (StoreUnavailable, OSError, sqlite3.Error):
            return  # the next tick tries again (the status line says why writes fail)
        self.post_message(UnitScoresLoaded(points, since, until))

    def on_unit_scores_loaded(self, message: UnitScoresLoaded) -> None:
        """Redraw each unit's chart."""
        stage = self.monitor.pipeline.detection.units
        for name, panel in self._unit_panels.items():
            points = message.points.get(name, [])
            # statistics in view: the unit is judged (a monitor not started loads no reference)
            panel.chart.set_points(points, None if points else stage.status(name))
            panel.chart.replot(*self.view_span())

    def on_unit_chart_panel_selected(self, message: UnitChartPanel.Selected) -> None:
        """A click on a unit's chart selects it."""
        self.selected = message.index

    def action_mark_reference(self) -> None:
        """Learn the span in view as the selected unit's normal behaviour."""
        name = self.selected_unit or next(
            (u.name for u in self.monitor.config.units if self.selected_tag in u.tags), None
        )
        if name is None:
            self.notify("The selected tag belongs to no unit ([[units]]).", severity="warning")
            return
        since, until = self.view_span()
        self._refit(name, since, until)

    @work(thread=True, group="unit-refit", exclusive=True)
    def _refit(self, name: str, since: float, until: float) -> None:
        try:
            ref = self.monitor.pipeline.refit_unit(name, iso(since), iso(until)).result(60)
        except (ValueError, SensorTuiError, TimeoutError) as exc:
            self.call_from_thread(
                self.notify, str(exc), title=f"{name}: reference not changed", severity="error"
            )
            return
        self.call_from_thread(
            self.notify,
            f"learned from {ref.observations} observations in view; stored for the next start",
            title=f"{name}: new reference",
        )
        self.call_from_thread(self._unit_tick, True)
