"""What each chart shows, and reading it from SQLite: the charts pane's timeline at work.

Every chart reads the pane's one `Timeline`, so all charts move together. Two sources feed a
chart:

- the live short window (up to an hour, following now): the chart's in-memory series, filled
  once from SQLite and then by accepted readings; redrawn at most once per column of time;
- anything else (panned into the past, or a window of hours to months): a `StoredView` read from
  SQLite by a thread worker with its own read-only Reader (raw readings up to an hour, rollups
  beyond), plus, while live, the newest readings of the series after it. A live long window is
  re-read once per bucket at most.

The loader is the pane's part, not a widget: it runs its workers on the pane, which posts their
`HistoryLoaded` and `ViewLoaded` to itself and hands them back here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from textual.widget import Widget

from sensor_tui.storage.rollups import resolution_for
from sensor_tui.tui.chart import TagChart
from sensor_tui.tui.chart_loads import Opener, read_live_history, read_views
from sensor_tui.tui.messages import HistoryLoaded, ViewLoaded
from sensor_tui.tui.timeline import Timeline

RAW_TAIL = 900
"""Seconds of raw readings a live long window keeps beyond its reload period."""
RETRY_FAILED = 5.0
"""Seconds before a stored view that failed to load is asked for again (no toast storm)."""
LIVE_RELOAD = 60.0
"""A live long window re-reads its stored view at most this often (seconds)."""


class ChartLoader:
    """The view the charts show, the reads it needs, and redrawing when they arrive."""

    def __init__(
        self,
        pane: Widget,
        charts: dict[str, TagChart],
        timeline: Timeline,
        clock: Callable[[], float],
        open_reader: Opener,
        anomaly_rows: int,
    ) -> None:
        self.pane = pane
        self.charts = charts
        self.timeline = timeline
        self.clock = clock
        self.open_reader = open_reader
        self.anomaly_rows = anomaly_rows
        """Anomalous readings read with the first history, for the reading table."""
        self.view_key: tuple[float, float] | None = None
        """The span of the stored view the charts hold (None: the live series is enough)."""
        self.view_loading: tuple[float, float] | None = None
        self.view_failed: tuple[tuple[float, float], float] | None = None
        self.loading = False
        """A history read is under way (the series is not trimmed meanwhile)."""
        self.first_load = True

    # -- what to show --------------------------------------------------------------------------

    def view_span(self) -> tuple[float, float]:
        """(since, until) the charts show now."""
        return self.timeline.view(self.clock())

    def wanted_view(self) -> tuple[float, float] | None:
        """The span to read from SQLite, or None when the live series is enough."""
        since, until = self.view_span()
        window = self.timeline.window
        if not self.timeline.live:
            return since, until
        if resolution_for(window) == 0:
            return None
        period = max(resolution_for(window), LIVE_RELOAD)
        end = math.floor(until / period) * period
        return end - window, end

    def raw_span(self) -> float:
        """Seconds of live readings the series must hold: the window, or for a long window
        what is newer than its stored view (up to one reload period) plus a margin."""
        window = self.timeline.window
        resolution = resolution_for(window)
        return window if resolution == 0 else max(resolution, LIVE_RELOAD) + RAW_TAIL

    # -- stored views --------------------------------------------------------------------------

    def sync_view(self, force: bool = False) -> None:
        """Read the stored view the timeline needs; redraw now, or once when it arrives."""
        wanted = self.wanted_view()
        if wanted is None:
            if self.view_key is not None:
                self.view_key = None
                for chart in self.charts.values():
                    chart.stored_view = None
                force = True
        elif wanted not in (self.view_key, self.view_loading) and not self._failed_lately(wanted):
            self.view_loading = wanted
            tags = [chart.tag for chart in self.charts.values()]
            self.pane.run_worker(
                lambda: self.pane.post_message(read_views(self.open_reader, tags, wanted)),
                thread=True,
                group="view",
                exclusive=True,
            )
        if wanted is None or wanted != self.view_loading:
            self.replot(force=force)

    def _failed_lately(self, span: tuple[float, float]) -> bool:
        failed = self.view_failed
        return (
            failed is not None and failed[0] == span and time.monotonic() - failed[1] < RETRY_FAILED
        )

    def view_loaded(self, message: ViewLoaded) -> None:
        """Show a stored view if the timeline still wants it."""
        if message.span == self.view_loading:
            self.view_loading = None
        if message.error:  # the charts still move to the span asked for, below
            self.view_failed = (message.span, time.monotonic())
            self.pane.notify(
                message.error, title="History not loaded", severity="error", markup=False
            )
        elif message.span != self.wanted_view():
            return
        else:
            self.view_key = message.span
            for name, view in message.views.items():
                self.charts[name].stored_view = view
        self.replot(force=True)

    # -- the live series -------------------------------------------------------------------

    def load_history(self) -> None:
        """Read from SQLite what the live series should hold but does not yet."""
        if self.loading:
            return
        since = self.clock() - self.raw_span()
        until = {
            name: chart.series.covered_since
            for name, chart in self.charts.items()
            if chart.series.covered_since is None or since < chart.series.covered_since
        }
        if until:
            self.loading = True
            rows = self.anomaly_rows if self.first_load else 0
            self.first_load = False
            self.pane.run_worker(
                lambda: self.pane.post_message(
                    read_live_history(self.open_reader, since, until, rows)
                ),
                thread=True,
                group="history",
            )

    def history_loaded(self, message: HistoryLoaded) -> None:
        """Merge history into the series, redraw; load more if still short."""
        self.loading = False
        if message.error:
            self.pane.notify(
                message.error, title="History not loaded", severity="error", markup=False
            )
            self.replot(force=True)  # the charts still move to the span asked for
            return
        for tag, (times, values, flags) in message.series.items():
            self.charts[tag].series.add_history(times, values, flags, message.since)
        self.replot(force=True)
        self.load_history()

    # -- drawing ---------------------------------------------------------------------------

    def replot(self, force: bool = False) -> None:
        """Redraw charts that are due: new data at most once per column of time, or scrolling."""
        since, until = self.view_span()
        live, cursor = self.timeline.live, self.timeline.cursor
        now = time.monotonic()
        with self.pane.app.batch_update():
            for chart in self.charts.values():
                cell = self.timeline.window / max(chart.size.width, 1)
                pace = min(max(cell, 1.0), 30.0)
                age = now - chart.replotted_at
                urgent = chart.urgent and now - chart.urgent_at >= pace  # not within a burst
                due = live and (urgent or (chart.dirty and age >= pace) or age >= max(pace, 5.0))
                if force or due:
                    if live and not self.loading:
                        chart.series.trim(until - self.raw_span() - 60)
                    chart.replot(since, until, cursor)
