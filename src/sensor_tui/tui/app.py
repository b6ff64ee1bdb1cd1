"""The monitor an operator watches all shift: it composes the panes and runs the life cycle.

The app is one client of a `Monitor` (pipeline + simulator + HTTP), or of the historian's
read-only `HistorianView` (`tui.historian_mode`): it starts it on mount and stops it, flushing,
on quit. It composes `ChartsPane` (every chart and the one timeline they share), `AlarmPane`
(the alarm panel, its inbox, workers and keys), the reading table and the status line.

Attributes go down, messages come up: pipeline threads never touch a widget; they put readings in
a `LiveFeed` and post one `ReadingsStored` when it turns non-empty, and the app hands them to the
charts and the table. The panes ask for what they do not own (`SpanRequested`,
`AlarmSpansChanged`, `ChartsMoved`...) and the app routes it. Keys are bound here, from the one
table in `tui.keys`, with a namespace naming the pane whose action they run (`alarms.ack`).

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
from typing import Any, ClassVar

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Static

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.pipeline import StoredBatch
from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.tui import keys, monitor_actions
from sensor_tui.tui.alarm_pane import AlarmPane
from sensor_tui.tui.anomaly_table import AnomalyRow, AnomalyTable
from sensor_tui.tui.chart_readings import cursor_text
from sensor_tui.tui.charts_pane import ChartsPane
from sensor_tui.tui.footer import FittedFooter
from sensor_tui.tui.help import HelpScreen
from sensor_tui.tui.historian_mode import SiteChoice, pick_site
from sensor_tui.tui.live import LiveFeed
from sensor_tui.tui.messages import (
    AlarmSpansChanged,
    ChartsExpanded,
    ChartsMoved,
    HistoryLoaded,
    ReadingsStored,
    SpanRequested,
)
from sensor_tui.tui.no_color import guard_monochrome
from sensor_tui.tui.status import MonitorState, StatusBar
from sensor_tui.tui.timeline import Timeline, view_label

REFRESH_HZ = 1.0
"""Status and chart refresh tick: once a second, so everything that changes with a reading
(titles, status, alarm values) lands in one screen update; keys redraw at once, not on it."""
MIN_SIZE = (60, 20)
"""Below this terminal size the screen says so instead of drawing clipped panels."""


class SensorApp(App[None]):
    """The sensor-tui monitor."""

    CSS_PATH = "app.tcss"
    TITLE = "sensor-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Textual's type)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings())

    site_choice: SiteChoice | None = None
    """Another of the historian's sites, chosen with `S`: the app exits and is reopened on it."""

    def __init__(
        self,
        monitor: Monitor | HistorianView,
        duration: float | None = None,
        clock: Callable[[], float] = time.time,
        live: bool = True,
        table_rows: int = 100,
        timeline: Timeline | None = None,
    ) -> None:
        super().__init__()
        self._action_targets |= set(keys.OWNERS)  # `alarms.ack` runs `self.alarms.action_ack`
        guard_monochrome(self)  # NO_COLOR: Textual's own filter would crash the first frame
        self.monitor = monitor
        self.duration = duration
        self.clock = clock
        self.live = live
        self._feed = LiveFeed()
        self._table = AnomalyTable(table_rows, id="anomalies")
        self._status = StatusBar(id="status")
        self.charts = ChartsPane(monitor, clock, table_rows, timeline, id="charts")
        """The charts and their timeline, selection and keys."""
        self.alarms = AlarmPane(monitor, self._table, id="alarm-pane")
        """The alarm pane: the alarm panel, its feed, workers and keys."""
        self._started = False
        self._stop_lock = threading.Lock()
        self._flushing = False

    def compose(self) -> ComposeResult:
        """Charts beside (wide) or above (narrow) the tables; status and footer below."""
        with Container(id="body"):
            yield self.charts
            yield self.alarms
            yield self._table
        yield self._status
        yield Static(id="too-small")
        yield FittedFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Subscribe, start the monitor (unless not live), load history, start the tick."""
        self.monitor.pipeline.subscribe(self._on_stored)
        self.monitor.pipeline.subscribe_accepted(self._on_accepted)
        if self.live and not self._start_monitor():
            return
        self.charts.start()
        self.refresh_status()

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
        if not isinstance(self.monitor, HistorianView):  # a viewer: nothing to flush or count
            self.refresh_status()
            await asyncio.to_thread(self._stop_monitor)
        self.exit(message=monitor_actions.stopped_summary(self.monitor))

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

    def _tick(self) -> None:
        values = self.charts.tick()
        self.refresh_status()
        self.alarms.tick(values)

    def refresh_status(self) -> None:
        """Rebuild the status line (cheap; the widget redraws only when its text changed)."""
        sim, charts = self.monitor.simulator, self.charts
        since, until = charts.view_span()
        cursor = charts.timeline.cursor
        state = MonitorState(
            simulator=sim is not None,
            paused=bool(sim and sim.paused),
            frozen=charts.frozen,
            frozen_count=charts.frozen_count,
            window=charts.window,
            db_path=str(self.monitor.options.db_path),
            http_url=self.monitor.http_url,
            flushing=self._flushing,
            simulator_error=sim.error if sim else None,
            view="FROZEN" if charts.frozen else view_label(since, until, charts.timeline.live),
            cursor=None if cursor is None else cursor_text(charts.charts, cursor),
            cursor_compact=None if cursor is None else cursor_text(charts.charts, cursor, True),
            unstored=sum(chart.unstored_shown() for chart in charts.charts.values()),
            rate=self._feed.rate(),
        )
        self._status.show(state, self.monitor.pipeline.snapshot())

    def on_charts_moved(self, _: ChartsMoved) -> None:
        """The view, cursor or freeze changed: say so on the status line."""
        self.refresh_status()

    def _on_accepted(self, batch: StoredBatch) -> None:
        """Pipeline thread: readings detected and queued. Touches no widget."""
        if self._feed.accepted(batch.readings):
            self.post_message(ReadingsStored())

    def _on_stored(self, batch: StoredBatch) -> None:
        """Pipeline thread: readings committed. Touches no widget."""
        if self._feed.stored(batch.readings):
            self.post_message(ReadingsStored())

    def on_readings_stored(self, _: ReadingsStored) -> None:
        """Readings onto the charts; the anomalies new to the screen into the table."""
        accepted, stored, dropped = self._feed.take()
        if not self._table.is_attached:  # the last commits of a shutdown
            return
        fresh = self.charts.take_readings(accepted, stored, dropped)
        self._table.add_anomalies([AnomalyRow.from_reading(r) for r in fresh if r.is_anomaly])

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        """The table's first rows, read with the charts' history."""
        self._table.add_anomalies([AnomalyRow.from_row(row) for row in message.anomalies])

    def on_alarm_spans_changed(self, message: AlarmSpansChanged) -> None:
        """The alarm pane's spans onto the charts."""
        self.charts.set_spans(message.spans, message.redraw)

    def on_span_requested(self, message: SpanRequested) -> None:
        """Enter on an alarm: the charts move to its span."""
        self.charts.show_span(message.tag, message.start, message.end)

    def on_charts_expanded(self, message: ChartsExpanded) -> None:
        """Back from the expanded chart, the table shown takes the keys again (hiding it had
        taken its focus, so ↓/↑ went nowhere and `a` acted on a dimmed row)."""
        if not message.expanded:
            self.call_after_refresh(self._focus_table)

    def _focus_table(self) -> None:
        table = "#anomalies" if self.screen.has_class("-readings") else "#alarms"
        self.query_one(table).focus()

    def action_pause(self) -> None:
        """Pause or resume the simulator."""
        monitor_actions.pause(self.monitor, self.notify)
        self.refresh_status()

    def action_inject(self, kind: str) -> None:
        """Inject a fault of this kind on the selected tag."""
        tag = None if self.charts.selected_unit is not None else self.charts.selected_tag
        monitor_actions.inject(self.monitor, self.notify, tag, kind)

    def action_outage(self) -> None:
        """Switch the simulated database outage on or off."""
        monitor_actions.outage(self.monitor, self.notify)
        self.refresh_status()

    def action_choose_site(self) -> None:
        """Over a historian: choose the site shown, at the same window and moment."""
        pick_site(self, self.monitor, self.charts.timeline, self._reopen_on)

    def _reopen_on(self, choice: SiteChoice) -> None:
        self.site_choice = choice
        self.exit()

    def action_help(self) -> None:
        """Show keys and panels."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the keys, by name, in the command palette."""
        yield from super().get_system_commands(screen)
        names = [tag.name for tag in self.monitor.config.tags]
        for title, where, action in keys.palette_entries(names):
            yield SystemCommand(title, where, partial(self.run_action, action))


def make_app(
    monitor: Monitor | HistorianView,
    duration: float | None = None,
    *,
    clock: Callable[[], float] = time.time,
    live: bool = True,
    table_rows: int = 100,
    timeline: Timeline | None = None,
) -> SensorApp:
    """Build the monitor app for the CLI and for tests (one factory, dependencies passed in);
    `timeline`: the window and moment to open at (a historian view reopened on another site)."""
    return SensorApp(
        monitor, duration, clock=clock, live=live, table_rows=table_rows, timeline=timeline
    )


__all__ = ["SensorApp", "make_app"]
