"""What the monitor's parts share: the state every mixin of `SensorApp` reads.

`SensorApp` is assembled from small mixins (`Navigation`, `ReadingsIn`, `Actions`) so app.py
stays about the life cycle. Each mixin derives from this class, which declares the shared state
and the few methods one part calls on another, so every part type-checks on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.reactive import reactive

from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.tui.anomaly_table import AnomalyTable
from sensor_tui.tui.chart import TagChart
from sensor_tui.tui.live import LiveFeed
from sensor_tui.tui.timeline import Timeline


class MonitorBase(App[None]):
    """Shared state of the monitor app (set in `SensorApp.__init__`)."""

    selected: reactive[int] = reactive(0)
    """Index of the selected chart: a tag's (fault keys and expand act on it), then a unit's."""
    frozen: reactive[bool] = reactive(False)
    """Charts stopped following now with space (ingest goes on and is counted)."""
    expanded: reactive[bool] = reactive(False)
    """Only the selected chart is shown, as large as the screen allows."""

    monitor: Monitor | HistorianView
    clock: Callable[[], float] = time.time
    timeline: Timeline
    table_rows: int
    frozen_count: int
    exported: Path | None
    _feed: LiveFeed
    _charts: dict[str, TagChart]
    _table: AnomalyTable
    _loading: bool
    _first_load: bool

    def refresh_status(self) -> None:
        """Rebuild the status line (SensorApp)."""
        raise NotImplementedError

    def history_anomalies(self, rows: list[dict[str, Any]]) -> None:
        """The table's first rows, read with the history (ReadingsIn)."""
        raise NotImplementedError

    @property
    def selected_tag(self) -> str:
        """Name of the selected tag (the last tag while a unit's chart is selected)."""
        tags = self.monitor.config.tags
        return tags[min(self.selected, len(tags) - 1)].name

    @property
    def selected_unit(self) -> str | None:
        """Name of the selected unit when a unit's chart (after the tags') is selected."""
        index = self.selected - len(self.monitor.config.tags)
        units = self.monitor.config.units
        return units[index].name if 0 <= index < len(units) else None

    @property
    def chart_count(self) -> int:
        """Charts that can be selected: the tags', then the units'."""
        return len(self.monitor.config.tags) + len(self.monitor.config.units)

    @property
    def selected_chart(self) -> TagChart:
        """The selected tag's chart."""
        return self._charts[self.selected_tag]
