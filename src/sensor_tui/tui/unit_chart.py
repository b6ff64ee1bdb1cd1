"""A unit's health chart: its detector's statistic against the control limit, beside the tags'.

A `PlotView` (the plotext chart the tag charts are drawn with, `tui.plot`): the line is the
statistic in units of its limit, so the limit is always the line at 1.0 whatever the detector
and however it adapts, and flagged observations are red dots. The points
are read from SQLite (`unit_scores`, written by the writer with the readings), so the chart shows
any span the tags' charts show, live or in the past.
"""

from __future__ import annotations

import math

import numpy as np
from textual import events

from sensor_tui.model.readings import parse_ts
from sensor_tui.model.units import Unit
from sensor_tui.tui.chart import SELECTED_MARK, format_value
from sensor_tui.tui.panel import PlotPanel, panel_selected, show_titles
from sensor_tui.tui.plot import PlotView, Trace

Points = list[tuple[str, float, float, bool]]
"""(timestamp, statistic, limit, flagged) as `storage.units.load_scores` returns them."""


class UnitChart(PlotView):
    """The plot of one unit's statistic over the shared view."""

    def __init__(self, unit: Unit, number: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.unit = unit
        self.number = number
        self.times = np.empty(0)
        self.ratios = np.empty(0)
        self.flagged = np.empty(0, dtype=bool)
        self.latest: tuple[float, float] | None = None
        """(statistic, limit) of the newest observation in view."""
        self.warming: tuple[int, int] | None = None
        """(observations learned, needed) while the unit's detector warms up."""
        self.view: tuple[float, float] = (0.0, 1.0)
        self._drawn: tuple[float, ...] = ()
        self.can_focus = False

    def set_points(self, points: Points, warming: tuple[int, int] | None) -> None:
        """The statistics read for the view (oldest first)."""
        self.warming = warming
        self.times = np.array([parse_ts(ts).timestamp() for ts, *_ in points], dtype=float)
        stats = np.array([p[1] for p in points], dtype=float)
        limits = np.array([p[2] for p in points], dtype=float)
        self.ratios = np.divide(stats, limits, out=np.zeros_like(stats), where=limits > 0)
        self.flagged = np.array([p[3] for p in points], dtype=bool)
        self.latest = (points[-1][1], points[-1][2]) if points else None

    def replot(self, since: float, until: float, force: bool = False) -> None:
        """Titles now; the plot when what it shows moved (see `drawing_key`), or with `force`."""
        self.view = (since, until)
        keep = (self.times >= since) & (self.times <= until)
        marked = keep & self.flagged
        flagged = int(marked.sum())
        self.update_title(flagged)
        key = self.drawing_key(since, until, self.times[keep], flagged)
        if key == self._drawn and not force:
            return
        self._drawn = key
        ratios = self.ratios[keep]
        trace = Trace(since, until, (1.0,), "lim", times=self.times[keep], lows=ratios,
                      highs=ratios, anomaly_times=self.times[marked],
                      anomaly_values=self.ratios[marked])  # fmt: skip
        self.draw(trace)

    def drawing_key(
        self, since: float, until: float, times: np.ndarray, flagged: int
    ) -> tuple[float, ...]:
        """What decides the picture, to a column of time: the statistics are read again every
        second, but a plotext build (the chart's main cost) is worth it only when the view moved
        by a column, the newest point reached a new column, or the flagged count changed (drawn
        at once). A new point in the newest column shows at the next column, as on the tags'."""
        column = max(until - since, 1e-9) / max(self.size.width, 1)
        newest = math.floor(times[-1] / column) if len(times) else -1.0
        return (until - since, math.floor(until / column), newest, flagged, *self.size)

    def on_resize(self, _: events.Resize) -> None:
        """Redraw the same view at the new size."""
        self.replot(*self.view, force=True)

    def update_title(self, flagged: int | None = None) -> None:
        """Unit, statistic now against its limit; the tags and what is flagged below."""
        if self.warming is not None:
            done, needed = self.warming
            value = f"[b $warning]learning its reference: {done}/{needed} observations[/]"
        elif self.latest is not None:
            stat, limit = self.latest
            value = f"[b]{format_value(stat)}[/b] / limit {format_value(limit)}"
        else:
            value = "[dim]no observations in view[/dim]"
        parts = [f"unit of {len(self.unit.tags)} tags: {', '.join(self.unit.tags)}"]
        if flagged is not None:
            parts.append(f"{flagged:,} observations over the limit in view")
        mark = f"{SELECTED_MARK} " if panel_selected(self) else ""
        show_titles(self, f"{mark}[b]{self.number}[/b] {self.unit.name} health  {value}",
                    " · ".join(parts))  # fmt: skip


class UnitChartPanel(PlotPanel):
    """The panel of a unit's chart; a click selects it like a tag's chart."""

    class Selected(PlotPanel.Selected):
        """The operator clicked this chart."""

    def __init__(self, unit: Unit, number: int, *, id: str | None = None) -> None:
        super().__init__(UnitChart(unit, number, id=f"unit-chart-{unit.name}"), id=id)
        self.chart: UnitChart
