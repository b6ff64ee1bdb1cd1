"""The charts pane: every tag's and unit's chart, the one timeline they share, and its keys.

It owns the `Timeline` (window, pan, go-to, cursor, freeze), the selection, and reading what the
charts show (`ChartLoader`: the tags' history and stored views; `UnitCharts`: the units'). The
app hands it the readings it drains and hears back through messages: `ChartsMoved` (the status
changes), `ChartsExpanded` (the tables hide or return), and `HistoryLoaded`, which bubbles on to
the app after the pane took the series (the reading table takes the anomalies). Its keys are
bound in `tui.keys` as `charts.<action>`: they act on the pane wherever the focus is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import ComposeResult
from textual.reactive import reactive

from sensor_tui.model.readings import Reading
from sensor_tui.model.when import BadMoment, parse_when
from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.storage.series import WINDOWS, window_label
from sensor_tui.tui import chart_readings
from sensor_tui.tui.chart import ChartGrid, ChartPanel, TagChart
from sensor_tui.tui.chart_loader import ChartLoader
from sensor_tui.tui.chart_loads import export_path, export_view
from sensor_tui.tui.goto import GoToScreen, stored_span, where_note
from sensor_tui.tui.messages import (
    ChartsExpanded,
    ChartsMoved,
    HistoryLoaded,
    Span,
    UnitScoresLoaded,
    ViewLoaded,
)
from sensor_tui.tui.timeline import PAN_SCREEN, Timeline
from sensor_tui.tui.unit_chart import UnitChartPanel
from sensor_tui.tui.unit_charts import UnitCharts

DEFAULT_WINDOW = 300


class ChartsPane(ChartGrid):
    """The charts, their timeline, their selection and their keys."""

    selected: reactive[int] = reactive(0, repaint=False)
    """Index of the selected chart: a tag's (fault keys and expand act on it), then a unit's."""
    frozen: reactive[bool] = reactive(False, repaint=False)
    """Charts stopped following now with space (ingest goes on and is counted)."""
    expanded: reactive[bool] = reactive(False, repaint=False)
    """Only the selected chart is shown, as large as the screen allows."""

    def __init__(
        self, monitor: Monitor | HistorianView, clock: Callable[[], float], anomaly_rows: int,
        timeline: Timeline | None = None, *, id: str,
    ) -> None:  # fmt: skip
        super().__init__(id=id)
        self.monitor = monitor
        self.clock = clock
        self.timeline = timeline or Timeline(WINDOWS.index(DEFAULT_WINDOW))
        self.frozen_count = 0  # readings accepted while frozen or in the past
        self.exported: Path | None = None  # the last CSV written by `x`
        self.panels = [
            ChartPanel(tag, i + 1, id=f"panel-{i}") for i, tag in enumerate(monitor.config.tags)
        ]
        self.charts = {panel.chart.tag.name: panel.chart for panel in self.panels}
        opener = monitor.open_reader
        self.loader = ChartLoader(self, self.charts, self.timeline, clock, opener, anomaly_rows)
        self.units = UnitCharts(self, monitor)

    def compose(self) -> ComposeResult:
        """The tags' charts, then the units'."""
        yield from self.panels
        yield from self.units.panels.values()

    def start(self) -> None:
        """Once the monitor runs: read the history and draw the first view."""
        self.loader.load_history()
        self.loader.sync_view()
        self.units.tick(self.view_span(), self.window, force=True)

    def tick(self) -> dict[str, float]:
        """On the refresh tick: titles, warm-up marks, due redraws and reads; each tag's newest
        value (for the alarm pane's `now` column)."""
        detectors = self.monitor.pipeline.detectors
        values = chart_readings.refresh_titles(self.charts, detectors, self.window)
        self.loader.sync_view()
        self.units.tick(self.view_span(), self.window)
        return values

    @property
    def window(self) -> int:
        """The charts' time window in seconds."""
        return self.timeline.window

    def view_span(self) -> tuple[float, float]:
        """(since, until) the charts show now."""
        return self.loader.view_span()

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

    def take_readings(
        self, accepted: list[Reading], stored: list[Reading], dropped: bool
    ) -> list[Reading]:
        """Readings from the app's feed onto the charts; those new to the screen come back."""
        fresh = chart_readings.take_readings(self.charts, accepted, stored, dropped)
        if not self.timeline.live:
            self.frozen_count += len(accepted)
        return fresh

    def set_spans(self, spans: dict[str, list[Span]], redraw: bool) -> None:
        """Draw these alarm spans on their tags' charts (at once with `redraw`)."""
        chart_readings.set_spans(self.charts, spans, redraw)

    def show_span(self, tag: str, start: float, end: float) -> None:
        """Move every chart to a span (an alarm's): select its tag, take the smallest window
        that holds the span with a margin, centre on it, and hold there (L goes live)."""
        names = list(self.charts) + [unit.name for unit in self.monitor.config.units]
        if tag in names:  # a tag's alarm, or a unit's
            self.selected = names.index(tag)
        span = max(end - start, 1.0)
        index = next((i for i, w in enumerate(WINDOWS) if w >= span * 1.5), len(WINDOWS) - 1)
        self.timeline.window_index = index
        self.timeline.go_to((start + end) / 2, self.clock())
        self.frozen_count = 0
        self.loader.load_history()
        self._moved()
        self.frozen = True  # held on the alarm's span: space (or L) follows live again
        self.units.tick(self.view_span(), self.window, force=True)

    def on_view_loaded(self, message: ViewLoaded) -> None:
        """A stored view arrived; the values at the cursor come from it."""
        self.loader.view_loaded(message)
        if self.timeline.cursor is not None:
            self.post_message(ChartsMoved())

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        """History for the live series arrived (the message goes on to the app)."""
        self.loader.history_loaded(message)

    def on_unit_scores_loaded(self, message: UnitScoresLoaded) -> None:
        """The units' statistics arrived."""
        self.units.scores_loaded(message, self.view_span())

    def watch_selected(self) -> None:
        """Mark the selected chart (and show it alone when expanded)."""
        panels = [*self.panels, *self.units.panels.values()]
        chart_readings.mark_selected(panels, self.selected, self.window)

    def on_chart_panel_selected(self, message: ChartPanel.Selected) -> None:
        """A click on a chart selects it."""
        self.action_select(message.index)

    def on_unit_chart_panel_selected(self, message: UnitChartPanel.Selected) -> None:
        """A click on a unit's chart selects it."""
        self.selected = message.index

    def watch_expanded(self, expanded: bool) -> None:
        """Toggle the layout class; charts redraw themselves at their new size."""
        self.screen.set_class(expanded, "-expanded")
        self.call_after_refresh(self.arrange_charts)  # after display changes
        self.post_message(ChartsExpanded(expanded))

    # -- keys ----------------------------------------------------------------------------------

    def action_select(self, index: int) -> None:
        """Select the tag shown as number index + 1."""
        if 0 <= index < self.chart_count:
            self.selected = index

    def action_next_tag(self, step: int = 1) -> None:
        """Select the next (or previous) tag."""
        self.selected = (self.selected + step) % self.chart_count

    def action_expand(self) -> None:
        """Show the selected chart alone, or all charts again."""
        self.expanded = not self.expanded

    def action_freeze(self) -> None:
        """Stop following now (or follow again); ingest continues and is counted."""
        frozen = self.timeline.live
        if frozen:
            self.timeline.end = self.clock()
        else:
            self.timeline.follow_live()
        self.frozen_count = 0
        self.loader.sync_view(force=True)
        self.frozen = frozen
        self.post_message(ChartsMoved())

    def _moved(self) -> None:
        self.frozen = False
        self.loader.sync_view(force=True)
        self.post_message(ChartsMoved())

    def on_tag_chart_panned(self, message: TagChart.Panned) -> None:
        """The mouse wheel over any chart moves them all."""
        self.action_pan(message.screens)

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
        self.app.push_screen(GoToScreen(), self._go_to)

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
        self.run_worker(
            lambda: self._note_where(moment), thread=True, group="goto-note", exclusive=True
        )

    def _note_where(self, moment: float) -> None:
        """Thread worker: say so when the moment is in the future or outside the stored ones."""
        note = where_note(moment, self.clock(), *stored_span(self.monitor.open_reader()))
        if note:
            self.app.call_from_thread(
                self.notify, note, title="Go to", severity="warning", markup=False
            )

    def action_cursor(self) -> None:
        """Show or hide the cursor (its time and every tag's value at it)."""
        self.timeline.toggle_cursor(self.clock())
        self.loader.sync_view(force=True)
        self.post_message(ChartsMoved())

    def action_move_cursor(self, columns: int) -> None:
        """Move the cursor by chart columns; the view follows at the edges."""
        width = max(self.charts[self.selected_tag].size.width - 6, 1)
        self.timeline.move_cursor(columns, width, self.clock())
        self._moved()

    def action_window(self, step: int) -> None:
        """Widen (+1) or narrow (-1) the time window."""
        if not self.timeline.zoom(step, self.clock()):
            self.notify(f"The window is already {window_label(self.window)}.")
            return
        self.loader.load_history()
        self.loader.sync_view(force=True)
        self.post_message(ChartsMoved())

    def action_export(self) -> None:
        """Write what the charts show (span and tags in view) to a CSV file."""
        since, until = self.view_span()
        tags = [self.selected_tag] if self.expanded else list(self.charts)
        path = export_path(since, until)
        db_path, site = self.monitor.pipeline.db_path, self.monitor.config.site
        self.run_worker(
            lambda: self.app.call_from_thread(
                self._exported, path, *export_view(db_path, path, tags, since, until, site)
            ),
            thread=True,
            group="export",
        )

    def _exported(self, path: Path, written: bool, text: str) -> None:
        if written:
            self.exported = path
        title = "Exported" if written else "Export failed"
        self.notify(text, title=title, severity="information" if written else "error", markup=False)

    def action_mark_reference(self) -> None:
        """Learn the span in view as the normal behaviour of the selected unit (or the selected
        tag's unit)."""
        span, redraw = self.view_span(), lambda: self.units.tick(self.view_span(), 0, True)
        self.units.mark_reference(self.selected_unit, self.selected_tag, span, redraw)
