"""One tag's chart: its live series, the stored view it shows, its titles, its panel.

The chart is a `plot.PlotView`: plotext builds it, and a redraw refreshes the widget only when
the built text changed, so a chart whose view did not move costs nothing on screen. Readings
that are not stored yet (a database outage) are drawn in another colour and counted in the
title, so the mark does not depend on colour.
"""

from __future__ import annotations

import bisect
import time

import numpy as np
from textual import events
from textual.containers import Grid
from textual.message import Message

from sensor_tui.model.tags import Tag
from sensor_tui.storage.series import StoredView, TagSeries, window_label
from sensor_tui.tui.panel import PlotPanel, panel_selected, show_titles
from sensor_tui.tui.plot import PlotView, Trace

MIN_CHART_ROWS = 9
"""A chart panel never gets fewer rows than this (border, 7 plot rows, the time axis); below it
the charts scroll instead of shrinking into unreadable strips."""
UNSTORED_GRACE = 1.0
"""Seconds a reading may wait for its commit before the screen calls it "not stored yet": a
healthy commit takes milliseconds, and marking each one for that long would flicker."""
MAX_UNSTORED = 200_000
"""Not-stored marks a chart keeps (a day of a 1 Hz tag twice over); older ones are only counted."""
SELECTED_MARK = "▶"
"""Prefix of the selected chart's title: selection that reads without colour."""


def format_value(value: float) -> str:
    """Four significant digits: 37.52, 452.3, 7.013 (a chart title is narrow)."""
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"


class TagChart(PlotView):
    """The plot of one tag over the shared view."""

    class Panned(Message):
        """The mouse wheel turned over a chart: move every chart by `screens` windows."""

        def __init__(self, screens: float) -> None:
            super().__init__()
            self.screens = screens

    def __init__(self, tag: Tag, number: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tag = tag
        self.number = number
        self.series = TagSeries()
        """Live readings (and the history of short windows), accepted or stored."""
        self.unstored: dict[tuple[float, str], tuple[float, float]] = {}
        """Readings accepted but not committed yet: (time, timestamp) -> (value, accepted at,
        monotonic)."""
        self.unstored_overflow = 0
        """Marks dropped past MAX_UNSTORED (a very long outage): still counted, not drawn."""
        self.stored_view: StoredView | None = None
        """What SQLite holds for the view, when the view is not the live short window."""
        self.dirty = False
        """New readings arrived since the last replot."""
        self.urgent = False
        """An anomaly arrived since the last replot: draw it without waiting for the pace."""
        self.title_due = False
        """New readings since the titles were last written (the app's tick writes them)."""
        self.replotted_at = 0.0
        """Monotonic time of the last replot (the app paces replots with it)."""
        self.urgent_at = -1e9
        """Monotonic time of the last replot an urgent change asked for: during a burst of
        anomalies (a stuck or noisy sensor flagged every second) only the first is drawn at
        once, the rest at the chart's pace of one column of time."""
        self.plotted_points = 0
        """Points in the last drawing (before binning into columns)."""
        self.anomalies_in_view = 0
        """Anomalies in the view: from the data, whatever the terminal width."""
        self.cursor_value: tuple[float, float] | None = None
        self.last_view: tuple[float, float, float | None] | None = None
        self.spans: list[tuple[float, float, tuple[int, int, int]]] = []
        """Alarm spans (start, end epoch seconds, colour) drawn under the line."""
        self.warming = False
        """The tag's detector has not seen enough readings to judge yet (said in the title)."""
        self.can_focus = False

    def set_spans(self, spans: list[tuple[float, float, tuple[int, int, int]]]) -> None:
        """Alarm spans of this tag: a span that began or went is drawn at once; an open alarm's
        end moving on (every second) waits for the chart's next column of time."""
        if spans != self.spans:
            started = {(start, colour) for start, _, colour in spans}
            if started != {(start, colour) for start, _, colour in self.spans}:
                self.urgent = True
            self.spans = spans
            self.dirty = True

    def set_warming(self, warming: bool) -> None:
        """Say in the title whether the detector is still warming up."""
        if warming != self.warming:
            self.warming = warming
            self.update_title(self.last_view[1] - self.last_view[0] if self.last_view else None)

    def on_mount(self) -> None:
        """Titles before the first reading arrives."""
        self.update_title()

    def on_resize(self, _: events.Resize) -> None:
        """Binning and ticks depend on the size: redraw the same view at the new one."""
        if self.last_view is not None:
            self.replot(*self.last_view)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        """Wheel up: back in time."""
        event.stop()
        self.post_message(self.Panned(-0.1))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        """Wheel down: forward in time."""
        event.stop()
        self.post_message(self.Panned(0.1))

    def trace(self, since: float, until: float, cursor: float | None) -> Trace:
        """What to draw over (since, until]: the stored view, else the live series, plus the
        readings not stored yet."""
        band, view = self.tag.normal, self.stored_view
        trace = Trace(since, until, band, self.tag.unit, cursor=cursor, spans=list(self.spans))
        if view is not None:
            tail = self._series_arrays(max(view.until, since), until)
            trace.times = np.concatenate((view.times, tail[0]))
            trace.lows = np.concatenate((view.lows, tail[1]))
            trace.highs = np.concatenate((view.highs, tail[1]))
            trace.anomaly_times = np.concatenate((view.anomaly_times, tail[2]))
            trace.anomaly_values = np.concatenate((view.anomaly_values, tail[3]))
            self.anomalies_in_view = view.anomalies + len(tail[2])
        else:
            times, values, a_times, a_values = self._series_arrays(since, until)
            trace.times, trace.lows, trace.highs = times, values, values
            trace.anomaly_times, trace.anomaly_values = a_times, a_values
            self.anomalies_in_view = len(a_times)
        if self.unstored_shown():
            points = sorted(self._unstored_between(since, until))
            if points:
                pending = np.array(points)
                trace.pending_times, trace.pending_values = pending[:, 0], pending[:, 1]
        self.plotted_points = len(trace.times)
        column = (until - since) / max(self.size.width - 6, 1)  # the width the cursor moves by
        self.cursor_value = self._value_at(cursor, column) if cursor is not None else None
        return trace

    def _series_arrays(
        self, since: float, until: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        times, values = self.series.view(since, until)
        a_times, a_values = self.series.anomalies(since, until)
        return (
            np.frombuffer(times) if len(times) else np.empty(0),
            np.frombuffer(values) if len(values) else np.empty(0),
            np.asarray(a_times, dtype=float),
            np.asarray(a_values, dtype=float),
        )

    def _value_at(self, moment: float, column: float) -> tuple[float, float] | None:
        """The value the cursor's column shows: the last point at or before `moment`, else
        (at the left edge, where the view holds nothing earlier) the first point in the
        column's span of time."""
        view = self.stored_view
        if view is not None and moment <= view.until:
            found = view.value_at(moment)
            if found is None and len(view.times) and view.times[0] <= moment + column:
                return float(view.lows[0]), float(view.highs[0])
            return found
        times = self.series.times
        i = bisect.bisect_right(times, moment) - 1
        if i < 0 and len(times) and times[0] <= moment + column:
            i = 0
        return (self.series.values[i],) * 2 if i >= 0 else None

    def _unstored_between(self, since: float, until: float) -> list[tuple[float, float]]:
        """Unstored (time, value) in the view; newest first, stopping a window before `since`
        (they arrive in about time order, so a long outage costs only the view's share)."""
        out = []
        for (t, _), (v, _) in reversed(self.unstored.items()):
            if t < since - (until - since):
                break
            if since <= t <= until:
                out.append((t, v))
        return out

    def add_unstored(self, key: tuple[float, str], value: float, now: float) -> None:
        """Mark a reading not stored yet; past MAX_UNSTORED the oldest marks become a count."""
        self.unstored[key] = (value, now)
        if len(self.unstored) > MAX_UNSTORED:
            del self.unstored[next(iter(self.unstored))]
            self.unstored_overflow += 1

    def settle(self, key: tuple[float, str]) -> bool:
        """A reading was committed: clear its mark. False when it was never marked (a replay
        of an earlier run's dead letter), so the caller charts it."""
        if self.unstored.pop(key, None) is not None:
            return True
        if self.unstored_overflow:
            self.unstored_overflow -= 1
            return True
        return False

    def unstored_shown(self) -> int:
        """Readings not stored yet that waited longer than the grace (0 when all are fresh)."""
        if not self.unstored:
            return self.unstored_overflow
        oldest = next(iter(self.unstored.values()))[1]  # marks are kept in arrival order
        waiting = len(self.unstored) + self.unstored_overflow
        return waiting if time.monotonic() - oldest >= UNSTORED_GRACE else 0

    def replot(self, since: float, until: float, cursor: float | None = None) -> None:
        """Redraw the view; the screen is touched only when a row changed."""
        self.last_view = (since, until, cursor)
        width, height = self.size.width, self.size.height
        self.replotted_at = time.monotonic()
        if self.urgent:
            self.urgent_at = self.replotted_at
        self.dirty = self.urgent = False
        trace = self.trace(since, until, cursor)
        self.update_title(until - since)
        if width > 0 and height > 0:
            self.draw(trace)

    def update_title(self, window: float | None = None) -> None:
        """Tag, latest (or cursor) value, unstored count; band and true anomaly count below.

        The titles live on the enclosing `ChartPanel` (see `PlotPanel.set_titles`).
        """
        unit = self.tag.unit
        if self.cursor_value is not None:
            low, high = self.cursor_value
            shown = format_value(low) if low == high else f"{format_value(low)}–{high:.4g}"
            value = f"⌖ [b]{shown}[/b] {unit}"
        elif latest := self.series.latest:
            value = f"[b]{format_value(latest[1])}[/b] {unit}"
        else:
            value = "[dim]no readings[/dim]"
        if waiting := self.unstored_shown():
            value += f" [b reverse $warning] {waiting:,} not stored yet [/]"
        low, high = self.tag.normal
        parts = [f"normal {low:g}–{high:g} {unit}"]
        if self.warming:
            parts.insert(0, "[b $warning]detector warming up[/]")
        if window is not None:
            parts.append(f"{self.anomalies_in_view:,} anomalies in {window_label(window)}")
        mark = f"{SELECTED_MARK} " if panel_selected(self) else ""
        show_titles(self, f"{mark}[b]{self.number}[/b] {self.tag.name}  {value}", " · ".join(parts))


class ChartPanel(PlotPanel):
    """The panel of one tag's chart."""

    class Selected(PlotPanel.Selected):
        """The operator clicked this chart."""

    def __init__(self, tag: Tag, number: int, *, id: str | None = None) -> None:
        super().__init__(TagChart(tag, number, id=f"chart-{number - 1}"), id=id)
        self.chart: TagChart


class ChartGrid(Grid):
    """The charts: one column, or two on a wide screen with many tags; scrolls when they would
    otherwise shrink below a readable height."""

    def on_resize(self, _: events.Resize) -> None:
        """Re-arrange for the new size."""
        self.arrange_charts()

    def arrange_charts(self) -> None:
        """Pick columns and row height for the charts currently displayed."""
        panels = self.query("ChartPanel, UnitChartPanel")  # a unit's chart is one more
        count = sum(1 for panel in panels if panel.display) or 1
        columns = 2 if count > 3 and self.size.width >= 120 else 1
        rows = -(-count // columns)
        fits = self.size.height // rows >= MIN_CHART_ROWS
        self.styles.grid_size_columns = columns
        self.styles.grid_rows = "1fr" if fits else str(MIN_CHART_ROWS)
