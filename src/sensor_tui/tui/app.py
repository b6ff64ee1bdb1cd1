"""The monitor an operator watches all shift: live charts, anomaly table, pipeline health, keys.

The app is one client of a `Monitor` (pipeline + simulator + HTTP). It starts the monitor on
mount and stops it, flushing, on quit. Pipeline threads never touch a widget: they put readings
in a `LiveFeed` when accepted and again when committed, and post one `ReadingsStored` when it
turns non-empty. Time navigation, history loading and redrawing live in `tui.navigation`.

For tests and screenshots, `clock` fixes "now" and `live=False` leaves the monitor unstarted and
the timers off, so the screen depends only on the database.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Static

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.pipeline.summary import dead_letter_lines, source_lines
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.storage.series import WINDOWS
from sensor_tui.tui import keys
from sensor_tui.tui.actions import Actions
from sensor_tui.tui.alarm_view import AlarmViewMixin, SpanRequested
from sensor_tui.tui.anomaly_table import AnomalyTable
from sensor_tui.tui.axes import clock as clock_text
from sensor_tui.tui.chart import ChartGrid, ChartPanel, TagChart, format_value
from sensor_tui.tui.footer import FittedFooter
from sensor_tui.tui.live import LiveFeed
from sensor_tui.tui.navigation import Navigation
from sensor_tui.tui.no_color import guard_monochrome
from sensor_tui.tui.readings_in import ReadingsIn
from sensor_tui.tui.status import MonitorState, StatusBar
from sensor_tui.tui.timeline import Timeline, view_label
from sensor_tui.tui.unit_chart import UnitChartPanel
from sensor_tui.tui.unit_view import UnitView

REFRESH_HZ = 1.0
"""Status and chart refresh tick: once a second, so everything that changes with a reading
(titles, status, alarm values) lands in one screen update; keys redraw at once, not on it."""
DEFAULT_WINDOW = 300
MIN_SIZE = (60, 20)
"""Below this terminal size the screen says so instead of drawing clipped panels."""


class SensorApp(ReadingsIn, Actions, Navigation, AlarmViewMixin, UnitView):
    """The sensor-tui monitor."""

    CSS_PATH = "app.tcss"
    TITLE = "sensor-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Textual's type)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings())

    def __init__(
        self,
        monitor: Monitor,
        duration: float | None = None,
        clock: Callable[[], float] = time.time,
        live: bool = True,
        table_rows: int = 100,
    ) -> None:
        super().__init__()
        guard_monochrome(self)  # NO_COLOR: Textual's own filter would crash the first frame
        self.monitor = monitor
        self.duration = duration
        self.clock = clock
        self.live = live
        self.table_rows = table_rows
        self.timeline = Timeline(WINDOWS.index(DEFAULT_WINDOW))
        self.frozen_count = 0
        self.exported: Path | None = None
        """The last CSV written by `x` (tests read it)."""
        self._feed = LiveFeed()
        self._charts: dict[str, TagChart] = {}
        self._table = AnomalyTable(table_rows, id="anomalies")
        self._status = StatusBar(id="status")
        self._started = False
        self._stop_lock = threading.Lock()
        self._flushing = False
        self._loading = False
        self._first_load = True
        self._alarm_setup()

    # -- layout and life cycle ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Charts beside (wide) or above (narrow) the anomaly table; status and footer below."""
        with Container(id="body"):
            with ChartGrid(id="charts"):
                for i, tag in enumerate(self.monitor.config.tags):
                    panel = ChartPanel(tag, i + 1, id=f"panel-{i}")
                    self._charts[tag.name] = panel.chart
                    yield panel
                yield from self.unit_panels()
            yield self._alarm_panel
            yield self._table
        yield self._status
        yield Static(id="too-small")
        yield FittedFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Subscribe, start the monitor (unless not live), load history, start the tick."""
        self.monitor.pipeline.subscribe(self._on_stored)
        self.monitor.pipeline.subscribe_accepted(self._on_accepted)
        self._alarm_mount()
        self._update_selection()
        if self.live and not self._start_monitor():
            return
        self.load_history()
        self.sync_view()
        self.refresh_status()
        self._unit_tick(force=True)

    def _start_monitor(self) -> bool:
        self._started = True  # before start: a half-started monitor (HTTP bind failed) is stopped
        try:
            self.monitor.start()
        except (SensorTuiError, OSError) as exc:  # anything else is a bug: show its traceback
            self.exit(return_code=2, message=f"sensor-tui: {exc}")
            return False
        self.set_interval(1 / REFRESH_HZ, self._tick)
        if self.duration is not None:
            self.set_timer(self.duration, self.action_quit)
        if threading.current_thread() is threading.main_thread():
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGTERM, partial(self.call_later, self.action_quit)
            )
        return True

    def _stop_monitor(self) -> None:
        """Stop sources and flush the pipeline; safe to call twice and from a thread."""
        with self._stop_lock:
            if self._started:
                self._started = False
                self.monitor.stop()

    def on_unmount(self) -> None:
        """Whatever ended the app, nothing queued is left behind."""
        self._stop_monitor()

    async def action_quit(self) -> None:
        """Quit after flushing every reading to SQLite or the dead-letter file."""
        if self._flushing:
            return
        self._flushing = True
        self.refresh_status()
        await asyncio.to_thread(self._stop_monitor)
        pipeline = self.monitor.pipeline
        snap = pipeline.snapshot()
        pending = pipeline.dead_letter.pending()
        lines = [
            f"sensor-tui stopped: {snap.stored:,} stored, {snap.rejected_total:,} "
            f"rejected, {snap.dead_lettered:,} dead-lettered, {snap.anomalies_total:,} anomalies",
            *dead_letter_lines(
                snap.dead_lettered, pending, pipeline.dead_letter.path, pipeline.db_path
            ),
            *source_lines(snap.sources),
        ]
        self.exit(message="\n".join(lines))

    def on_resize(self, event: events.Resize) -> None:
        """Say so when the terminal is too small to draw the monitor readably."""
        width, height = event.size
        tiny = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.screen_stack[0].set_class(tiny, "-tiny")  # the main screen, even under help
        if tiny:
            self.query_one("#too-small", Static).update(
                f"Terminal too small: {width}x{height}.\n"
                f"sensor-tui needs at least {MIN_SIZE[0]}x{MIN_SIZE[1]}.\nq quits."
            )

    # -- status ---------------------------------------------------------------------------

    def _tick(self) -> None:
        for chart in self._charts.values():
            if chart.title_due or chart.unstored or chart.unstored_overflow:  # wait may pass grace
                chart.title_due = False
                chart.update_title(self.timeline.window)
        self.refresh_status()
        self._alarm_tick()
        self.sync_view()
        self._unit_tick()

    def refresh_status(self) -> None:
        """Rebuild the status line (cheap; the widget redraws only when its text changed)."""
        sim = self.monitor.simulator
        since, until = self.view_span()
        cursor = self.timeline.cursor
        state = MonitorState(
            simulator=sim is not None,
            paused=bool(sim and sim.paused),
            frozen=self.frozen,
            frozen_count=self.frozen_count,
            window=self.timeline.window,
            db_path=str(self.monitor.options.db_path),
            http_url=self.monitor.http_url,
            flushing=self._flushing,
            simulator_error=sim.error if sim else None,
            view="FROZEN" if self.frozen else view_label(since, until, self.timeline.live),
            cursor=None if cursor is None else self._cursor_text(cursor),
            cursor_compact=None if cursor is None else self._cursor_text(cursor, compact=True),
            unstored=sum(chart.unstored_shown() for chart in self._charts.values()),
            rate=self._feed.rate(),
        )
        self._status.show(state, self.monitor.pipeline.snapshot())

    def _cursor_text(self, cursor: float, compact: bool = False) -> str:
        """`12:00:05 UTC: fermenter_temp 37.1, ...`; compact: `12:00:05 37.1°C 7.05pH ...`."""
        values = []
        for chart in self._charts.values():
            value = chart.cursor_value
            shown = "–" if value is None else format_value((value[0] + value[1]) / 2)
            values.append(f"{shown}{chart.tag.unit}" if compact else f"{chart.tag.name} {shown}")
        if compact:
            return f"{clock_text(cursor)} " + " ".join(values)
        return f"{clock_text(cursor)} UTC: " + ", ".join(values)

    # -- keys -------------------------------------------------------------------------------

    def action_freeze(self) -> None:
        """Stop following now (or follow again); ingest continues and is counted."""
        frozen = self.timeline.live
        if frozen:
            self.timeline.end = self.clock()
        else:
            self.timeline.follow_live()
        self.frozen_count = 0
        self.sync_view(force=True)
        self.frozen = frozen
        self.refresh_status()

    def action_select(self, index: int) -> None:
        """Select the tag shown as number index + 1."""
        if 0 <= index < self.chart_count:
            self.selected = index

    def on_chart_panel_selected(self, message: ChartPanel.Selected) -> None:
        """A click on a chart selects it."""
        self.action_select(message.index)

    def action_next_tag(self, step: int = 1) -> None:
        """Select the next (or previous) tag."""
        self.selected = (self.selected + step) % self.chart_count

    def watch_selected(self) -> None:
        """Mark the selected chart (and show it alone when expanded)."""
        self._update_selection()

    def _update_selection(self) -> None:
        for i, panel in enumerate(self.query(ChartPanel)):
            panel.set_class(i == self.selected, "-selected")
            panel.chart.update_title(self.timeline.window)
            if i == self.selected:
                panel.scroll_visible()
        first = len(self._charts)
        for k, unit_panel in enumerate(self.query(UnitChartPanel)):
            unit_panel.set_class(first + k == self.selected, "-selected")
            unit_panel.chart.update_title()
            if first + k == self.selected:
                unit_panel.scroll_visible()

    def on_span_requested(self, message: SpanRequested) -> None:
        """Move every chart to an alarm's span (Enter on the alarm panel): select its tag, take
        the smallest window that holds the span with a margin, centre on it; L goes live."""
        names = list(self._charts) + [unit.name for unit in self.monitor.config.units]
        if message.tag in names:  # a tag's alarm, or a unit's
            self.selected = names.index(message.tag)
        span = max(message.end - message.start, 1.0)
        index = next((i for i, w in enumerate(WINDOWS) if w >= span * 1.5), len(WINDOWS) - 1)
        self.timeline.window_index = index
        self.timeline.go_to((message.start + message.end) / 2, self.clock())
        self.frozen_count = 0
        self.load_history()
        self._moved()
        self.frozen = True  # held on the alarm's span: space (or L) follows live again
        self.refresh_status()
        self._unit_tick(force=True)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the keys, by name, in the command palette."""
        yield from super().get_system_commands(screen)
        names = [tag.name for tag in self.monitor.config.tags]
        for title, where, action in keys.palette_entries(names):
            yield SystemCommand(title, where, partial(self.run_action, action))


def make_app(
    monitor: Monitor,
    duration: float | None = None,
    *,
    clock: Callable[[], float] = time.time,
    live: bool = True,
    table_rows: int = 100,
) -> SensorApp:
    """Build the monitor app for the CLI and for tests (one factory, dependencies passed in)."""
    return SensorApp(monitor, duration=duration, clock=clock, live=live, table_rows=table_rows)


__all__ = ["SensorApp", "make_app"]
