"""Time navigation for the monitor's charts: what each chart shows, loading it, the keys.

A mixin of `SensorApp`, so app.py stays about the app's life cycle. Every chart reads the one
`Timeline`, so all charts move together. Two sources feed a chart:

- the live short window (up to an hour, following now): the chart's in-memory series, filled
  once from SQLite and then by accepted readings; redrawn at most once per column of time;
- anything else (panned into the past, or a window of hours to months): a `StoredView` read from
  SQLite by a thread worker with its own read-only Reader (raw readings up to an hour, rollups
  beyond), plus, while live, the newest readings of the series after it. A live long window is
  re-read once per bucket at most.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from textual import work

from sensor_tui.model.when import BadMoment, parse_when
from sensor_tui.storage import StoreUnavailable
from sensor_tui.storage.rollups import resolution_for
from sensor_tui.storage.series import StoredView, load_view, read_history, window_label
from sensor_tui.tui.base import MonitorBase
from sensor_tui.tui.chart import TagChart
from sensor_tui.tui.goto import GoToScreen, stored_span, where_note
from sensor_tui.tui.messages import HistoryLoaded, ViewLoaded
from sensor_tui.tui.timeline import PAN_SCREEN

RAW_TAIL = 900
"""Seconds of raw readings a live long window keeps beyond its reload period."""
RETRY_FAILED = 5.0
"""Seconds before a stored view that failed to load is asked for again (no toast storm)."""
LIVE_RELOAD = 60.0
"""A live long window re-reads its stored view at most this often (seconds)."""


class Navigation(MonitorBase):
    """Panning, jumping, the cursor, export, and the loading and redrawing they need."""

    _view_key: tuple[float, float] | None = None
    _view_loading: tuple[float, float] | None = None
    _view_failed: tuple[tuple[float, float], float] | None = None

    # -- what to show --------------------------------------------------------------------------

    @property
    def window(self) -> int:
        """The charts' time window in seconds."""
        return self.timeline.window

    def window_end(self) -> float:
        """The right edge of the charts: now while live, else the moment in view."""
        return self.view_span()[1]

    def view_span(self) -> tuple[float, float]:
        """(since, until) the charts show now."""
        return self.timeline.view(self.clock())

    def _wanted_view(self) -> tuple[float, float] | None:
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

    def sync_view(self, force: bool = False) -> None:
        """Read the stored view the timeline needs; redraw now, or once when it arrives."""
        wanted = self._wanted_view()
        if wanted is None:
            if self._view_key is not None:
                self._view_key = None
                for chart in self._charts.values():
                    chart.stored_view = None
                force = True
        elif wanted not in (self._view_key, self._view_loading) and not self._failed_lately(wanted):
            self._view_loading = wanted
            self._load_view_worker(wanted)
        if wanted is None or wanted != self._view_loading:
            self.replot(force=force)

    def _failed_lately(self, span: tuple[float, float]) -> bool:
        failed = self._view_failed
        return (
            failed is not None and failed[0] == span and time.monotonic() - failed[1] < RETRY_FAILED
        )

    @work(thread=True, group="view", exclusive=True)
    def _load_view_worker(self, span: tuple[float, float]) -> None:
        """Thread worker: every tag's stored view of `span`, posted back as one message."""
        views: dict[str, StoredView] = {}
        error = None
        reader = self.monitor.open_reader()
        try:
            for name, chart in self._charts.items():
                views[name] = load_view(reader, name, *span, chart.tag.normal)
        except StoreUnavailable as exc:
            error = str(exc)
        finally:
            reader.close()
        self.post_message(ViewLoaded(span, views, error))

    def on_view_loaded(self, message: ViewLoaded) -> None:
        """Show a stored view if the timeline still wants it."""
        if message.span == self._view_loading:
            self._view_loading = None
        if message.error:  # the charts still move to the span asked for, below
            self._view_failed = (message.span, time.monotonic())
            self.notify(message.error, title="History not loaded", severity="error", markup=False)
        elif message.span != self._wanted_view():
            return
        else:
            self._view_key = message.span
            for name, view in message.views.items():
                self._charts[name].stored_view = view
        self.replot(force=True)
        if self.timeline.cursor is not None:  # the values at the cursor come from this view
            self.refresh_status()

    # -- the live series -------------------------------------------------------------------

    @work(thread=True, group="history")
    def _load_history_worker(
        self, since: float, until: dict[str, float | None], first: bool
    ) -> None:
        """Thread worker: stored readings for the live series (and, the first time, the latest
        anomalies for the table), with its own read-only Reader."""
        series: dict[str, Any] = {}
        anomalies: list[dict[str, Any]] = []
        error = None
        reader = self.monitor.open_reader()
        try:
            for tag, end in until.items():
                series[tag] = read_history(reader, tag, since, end)
            if first:
                anomalies = reader.anomalies(limit=self.table_rows)
        except StoreUnavailable as exc:
            error = str(exc)
        finally:
            reader.close()
        self.post_message(HistoryLoaded(since, series, anomalies, error))

    def load_history(self) -> None:
        """Read from SQLite what the live series should hold but does not yet."""
        if self._loading:
            return
        since = self.clock() - self.raw_span()
        until = {
            name: chart.series.covered_since
            for name, chart in self._charts.items()
            if chart.series.covered_since is None or since < chart.series.covered_since
        }
        if until:
            self._loading = True
            self._load_history_worker(since, until, self._first_load)
            self._first_load = False

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        """Merge history into the series, redraw; load more if still short."""
        self._loading = False
        if message.error:
            self.notify(message.error, title="History not loaded", severity="error", markup=False)
            self.replot(force=True)  # the charts still move to the span asked for
            return
        for tag, (times, values, flags) in message.series.items():
            self._charts[tag].series.add_history(times, values, flags, message.since)
        self.history_anomalies(message.anomalies)
        self.replot(force=True)
        self.load_history()

    # -- drawing ---------------------------------------------------------------------------

    def replot(self, force: bool = False) -> None:
        """Redraw charts that are due: new data at most once per column of time, or scrolling."""
        since, until = self.view_span()
        live, cursor = self.timeline.live, self.timeline.cursor
        now = time.monotonic()
        with self.batch_update():
            for chart in self._charts.values():
                cell = self.timeline.window / max(chart.size.width, 1)
                pace = min(max(cell, 1.0), 30.0)
                age = now - chart.replotted_at
                urgent = chart.urgent and now - chart.urgent_at >= pace  # not within a burst
                due = live and (urgent or (chart.dirty and age >= pace) or age >= max(pace, 5.0))
                if force or due:
                    if live and not self._loading:
                        chart.series.trim(until - self.raw_span() - 60)
                    chart.replot(since, until, cursor)

    def on_tag_chart_panned(self, message: TagChart.Panned) -> None:
        """The mouse wheel over any chart moves them all."""
        self.action_pan(message.screens)

    # -- keys ------------------------------------------------------------------------------

    def _moved(self) -> None:
        self.frozen = False
        self.sync_view(force=True)
        self.refresh_status()

    def action_pan(self, screens: float = PAN_SCREEN) -> None:
        """Move every chart back (negative) or forward by `screens` windows."""
        self.timeline.pan(screens, self.clock())
        self._moved()

    def action_live(self) -> None:
        """Back to the newest readings, following them."""
        self.timeline.follow_live()
        self._moved()

    def action_go_to(self) -> None:
        """Ask for a date or time and centre the charts on it."""
        self.push_screen(GoToScreen(), self._go_to)

    def _go_to(self, text: str | None) -> None:
        if not text:
            return
        try:
            moment = parse_when(text, self.clock())
        except BadMoment as exc:
            self.notify(str(exc), title="Go to", severity="error", markup=False)
            return
        self.timeline.go_to(moment, self.clock())
        self._moved()
        self._note_where(moment)

    @work(thread=True, group="goto-note", exclusive=True)
    def _note_where(self, moment: float) -> None:
        """Say so when the moment is in the future or outside the stored readings."""
        note = where_note(moment, self.clock(), *stored_span(self.monitor.open_reader()))
        if note:
            self.call_from_thread(
                self.notify, note, title="Go to", severity="warning", markup=False
            )

    def action_cursor(self) -> None:
        """Show or hide the cursor (its time and every tag's value at it)."""
        self.timeline.toggle_cursor(self.clock())
        self.sync_view(force=True)
        self.refresh_status()

    def action_move_cursor(self, columns: int) -> None:
        """Move the cursor by chart columns; the view follows at the edges."""
        width = max(self.selected_chart.size.width - 6, 1)
        self.timeline.move_cursor(columns, width, self.clock())
        self._moved()

    def action_window(self, step: int) -> None:
        """Widen (+1) or narrow (-1) the time window."""
        if not self.timeline.zoom(step, self.clock()):
            self.notify(f"The window is already {window_label(self.timeline.window)}.")
            return
        self.load_history()
        self.sync_view(force=True)
        self.refresh_status()

    def action_export(self) -> None:
        """Write what the charts show (span and tags in view) to a CSV file."""
        since, until = self.view_span()
        tags = [self.selected_tag] if self.expanded else list(self._charts)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(since))
        path = Path(f"sensor-tui-export-{stamp}-{window_label(until - since)}.csv").absolute()
        self._export_worker(path, tags, since, until)

    @work(thread=True, group="export")
    def _export_worker(self, path: Path, tags: list[str], since: float, until: float) -> None:
        from sensor_tui.storage.export import ExportRefused, export_file

        try:
            count = export_file(
                self.monitor.pipeline.db_path,
                path,
                tags,
                since,
                until + 1e-6,
                site=self.monitor.config.site,  # a historian's shown site (a file has one)
                force=True,
            )
        except (StoreUnavailable, ExportRefused, OSError) as exc:
            self.call_from_thread(
                self.notify, str(exc), title="Export failed", severity="error", markup=False
            )
            return
        self.exported = path
        self.call_from_thread(
            self.notify,
            f"{count:,} readings of {len(tags)} tags to {path}",
            title="Exported",
            markup=False,
        )
