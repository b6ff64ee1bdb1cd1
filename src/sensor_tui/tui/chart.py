"""One tag's live chart: a textual-plotext plot that owns its series.

The x axis is seconds relative to the window's end ("-4m" ... "now"), so the labels never depend
on a time zone and read the same in a screenshot and on a live screen. `replot` is the only place
that talks to plotext; it draws at most about two points per terminal column (braille markers
have two dots per cell), after min/max downsampling, so cost stays flat whatever the window.
"""

from __future__ import annotations

import time

from textual import events
from textual.app import ComposeResult, RenderResult
from textual.containers import Container, Grid
from textual_plotext import PlotextPlot

from sensor_tui.series import TagSeries, downsample, thin_markers, window_label
from sensor_tui.tags import Tag

LINE_COLOR = (80, 170, 255)
BAND_COLOR = (60, 140, 80)
ANOMALY_COLOR = (255, 60, 60)
TICK_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)
COMPACT_HEIGHT = 7
"""Below this many rows the x axis labels are dropped to leave the rows to the data."""
MIN_CHART_ROWS = 8
"""Charts shorter than this scroll instead of shrinking (many tags on a small terminal)."""


def format_value(value: float) -> str:
    """Four significant digits: 37.52, 452.3, 7.013 (a chart title is narrow)."""
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


def x_ticks(window: float, width: int) -> tuple[list[float], list[str]]:
    """Tick positions (seconds before the end, negative) and labels, about one per 12 columns."""
    wanted = max(2, width // 12)
    step = next((s for s in TICK_STEPS if window / s <= wanted), TICK_STEPS[-1])
    ticks = [-step * i for i in range(int(window // step), -1, -1)]
    labels = [f"-{window_label(-t)}" if t else "now" for t in ticks]
    return [float(t) for t in ticks], labels


class TagChart(PlotextPlot):
    """Line of one tag's readings over the window, anomalies as red markers, the normal band."""

    def __init__(self, tag: Tag, number: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tag = tag
        self.number = number
        self.series = TagSeries()
        self.dirty = False
        """New readings arrived since the last replot."""
        self.urgent = False
        """An anomaly arrived since the last replot: draw it without waiting for the pace."""
        self.replotted_at = 0.0
        """Monotonic time of the last replot (the app paces replots with it)."""
        self.plotted_points = 0
        """Points handed to plotext at the last replot (after downsampling)."""
        self.shown_anomalies = 0
        self.last_view: tuple[float, float] | None = None
        """(end, window) of the last replot, redrawn as is when the chart is resized."""
        self._version = 0
        self._rendered: tuple[tuple[object, ...], RenderResult] | None = None
        self.can_focus = False
        self.spans: list[tuple[float, float, tuple[int, int, int]]] = []
        """Alarm spans (start, end epoch seconds, colour) drawn under the line (issue 11)."""
        self.warming = False
        """The tag's detector has not seen enough readings to judge yet (said in the title)."""

    def set_spans(self, spans: list[tuple[float, float, tuple[int, int, int]]]) -> None:
        """Alarm spans of this tag; drawn at the next replot (marked due now)."""
        if spans != self.spans:
            self.spans = spans
            self.dirty = self.urgent = True

    def set_warming(self, warming: bool) -> None:
        """Say in the title whether the detector is still warming up."""
        if warming != self.warming:
            self.warming = warming
            self.update_title(self.last_view[1] if self.last_view else None)

    def on_mount(self) -> None:
        """Titles before the first reading arrives."""
        super().on_mount()
        self.update_title()

    def render(self) -> RenderResult:
        """The plot, rebuilt only when replotted, resized or re-themed.

        Textual calls render again after any refresh (a theme change, a style change); plotext's
        build is the expensive part, so its result is reused until the plot itself changes.
        """
        key = (self._version, self.size, self.app.theme, self.theme)
        if self._rendered is None or self._rendered[0] != key:
            self._rendered = (key, super().render())
        return self._rendered[1]

    def on_resize(self, _: events.Resize) -> None:
        """Downsampling and ticks depend on the size: redraw the same view at the new one."""
        if self.last_view is not None:
            self.replot(*self.last_view)

    def update_title(self, window: float | None = None) -> None:
        """Tag, unit and latest value on the panel's border; cheap, so it runs even when frozen.

        The titles live on the enclosing `ChartPanel`, not on the plot: changing a widget's
        border title re-renders the widget, and that must not rebuild a plot once a second.
        """
        latest = self.series.latest
        value = (
            f"[b]{format_value(latest[1])}[/b] {self.tag.unit}"
            if latest
            else "[dim]no readings[/dim]"
        )
        low, high = self.tag.normal
        parts = [f"normal {low:g}–{high:g} {self.tag.unit}"]
        if self.warming:
            parts.insert(0, "[b $warning]detector warming up[/]")
        if window is not None:
            parts.append(f"{self.shown_anomalies} anomalies in {window_label(window)}")
        holder = self.parent if isinstance(self.parent, ChartPanel) else self
        holder.border_title = f"[b]{self.number}[/b] {self.tag.name}  {value}"
        holder.border_subtitle = " · ".join(parts)

    def replot(self, end: float, window: float) -> None:
        """Redraw the window (end - window, end] from the series."""
        width = self.size.width or 120
        height = self.size.height or 10
        since = end - window
        times, values = self.series.view(since, end)
        xs, ys = downsample(times, values, 2 * width)
        ax, ay = thin_markers(*self.series.anomalies(since, end), since, window, width)
        plt = self.plt
        plt.clear_data()
        plt.plot([x - end for x in xs], ys, marker="braille", color=LINE_COLOR)
        if ax:
            plt.scatter([x - end for x in ax], ay, marker="●", color=ANOMALY_COLOR)
        low, high = self.tag.normal
        plt.hline(low, BAND_COLOR)
        plt.hline(high, BAND_COLOR)
        y_range = self._y_range(ys, ay)
        self._plot_spans(end, window, y_range)
        plt.xlim(-window, 0)
        plt.ylim(*y_range)
        if height < COMPACT_HEIGHT:
            plt.xticks([], [])
            plt.xaxes(False, False)
        else:
            plt.xticks(*x_ticks(window, width))
            plt.xaxes(True, False)
        plt.yaxes(True, False)
        self.plotted_points = len(xs)
        self.shown_anomalies = len(ax)
        self.dirty = self.urgent = False
        self.replotted_at = time.monotonic()
        self.last_view = (end, window)
        self._version += 1
        self.update_title(window)
        self.refresh()

    def _plot_spans(self, end: float, window: float, y_range: tuple[float, float]) -> None:
        """Each alarm's active time as a bar along the bottom of the plot, in its kind's colour,
        with a thin line where it began: the extent of a fault, not only its flagged points."""
        bottom = y_range[0] + (y_range[1] - y_range[0]) * 0.02
        for start, stop, colour in self.spans:
            if stop < end - window or start > end:
                continue
            left, right = max(start, end - window) - end, min(max(stop, start + 1), end) - end
            self.plt.plot([left, right], [bottom, bottom], marker="▀", color=colour)
            if start >= end - window:
                self.plt.vline(start - end, colour)

    def _y_range(self, ys: list[float], anomalies: list[float]) -> tuple[float, float]:
        """The normal band and every shown value, with a margin so lines do not touch the frame."""
        low, high = self.tag.normal
        lo = min([low, *ys, *anomalies])
        hi = max([high, *ys, *anomalies])
        margin = (hi - lo) * 0.08 or 1.0
        return lo - margin, hi + margin


class ChartPanel(Container):
    """The bordered box around one chart: its titles, its selection highlight."""

    def __init__(self, tag: Tag, number: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart = TagChart(tag, number, id=f"chart-{number - 1}")

    def compose(self) -> ComposeResult:
        """Just the plot."""
        yield self.chart


class ChartGrid(Grid):
    """The charts: one column, or two on a wide screen with many tags; scrolls when they would
    otherwise shrink below a readable height."""

    def on_resize(self, _: events.Resize) -> None:
        """Re-arrange for the new size."""
        self.arrange_charts()

    def arrange_charts(self) -> None:
        """Pick columns and row height for the charts currently displayed."""
        count = sum(1 for panel in self.query(ChartPanel) if panel.display) or 1
        columns = 2 if count > 3 and self.size.width >= 120 else 1
        rows = -(-count // columns)
        fits = count <= 3 or self.size.height // rows >= MIN_CHART_ROWS
        self.styles.grid_size_columns = columns
        self.styles.grid_rows = "1fr" if fits else str(MIN_CHART_ROWS)
