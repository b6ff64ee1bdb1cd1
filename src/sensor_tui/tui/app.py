"""The monitor an operator watches all shift: live charts, anomaly table, pipeline health, keys.

The app is one client of a `Monitor` (pipeline + simulator + HTTP). It starts the monitor on
mount and stops it, flushing, on quit. Pipeline threads never touch a widget: the writer puts
committed readings in an `Inbox` and posts one `ReadingsStored` when it turns non-empty; history
is read by a thread worker with its own read-only `Reader` and posted back as
`HistoryLoaded`. Charts are replotted on a refresh tick (4 Hz at most, paced by the window's
resolution), never per reading.

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

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Container
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer

from sensor_tui.errors import SensorTuiError
from sensor_tui.pipeline import StoredBatch
from sensor_tui.runner import Monitor
from sensor_tui.series import WINDOWS, epoch, read_history, reading_points, window_label
from sensor_tui.storage import Reader, StoreUnavailable
from sensor_tui.summary import dead_letter_lines
from sensor_tui.tui import keys
from sensor_tui.tui.alarm_view import AlarmViewMixin, SpanRequested
from sensor_tui.tui.anomaly_table import AnomalyRow, AnomalyTable
from sensor_tui.tui.chart import ChartGrid, ChartPanel, TagChart, format_value
from sensor_tui.tui.help import HelpScreen
from sensor_tui.tui.inbox import Inbox
from sensor_tui.tui.messages import HistoryLoaded, ReadingsStored
from sensor_tui.tui.status import MonitorState, StatusBar

REFRESH_HZ = 4.0
"""Status and chart refresh tick."""
QUIET_SECONDS = 60.0
"""A tag's anomaly toasts only if that tag had no anomaly for this long (no flood in a burst)."""
DEFAULT_WINDOW = 300


class SensorApp(AlarmViewMixin):
    """The sensor-tui monitor."""

    CSS_PATH = "app.tcss"
    TITLE = "sensor-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Textual's type)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = list(keys.bindings())

    selected: reactive[int] = reactive(0)
    """Index of the selected tag (fault keys and expand act on it)."""
    frozen: reactive[bool] = reactive(False)
    """Charts stand still while readings keep being stored."""
    expanded: reactive[bool] = reactive(False)
    """Only the selected chart is shown, as large as the screen allows."""
    window_index: reactive[int] = reactive(WINDOWS.index(DEFAULT_WINDOW))
    """Index into WINDOWS of the charts' time window."""

    def __init__(
        self,
        monitor: Monitor,
        duration: float | None = None,
        clock: Callable[[], float] = time.time,
        live: bool = True,
        table_rows: int = 100,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.duration = duration
        self.clock = clock
        self.live = live
        self.table_rows = table_rows
        self.frozen_at = 0.0
        self.frozen_count = 0
        self.last_anomaly: dict[str, float] = {}
        self._inbox = Inbox()
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
            yield self._alarm_panel
            yield self._table
        yield self._status
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Subscribe, start the monitor (unless not live), load history, start the tick."""
        self.monitor.pipeline.subscribe(self._on_stored)
        self._alarm_mount()
        self._update_selection()
        if self.live and not self._start_monitor():
            return
        self._load_history(self.window_end() - self.window)
        self._refresh_status()

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
        self._refresh_status()
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
        ]
        self.exit(message="\n".join(lines))

    # -- readings in ------------------------------------------------------------------------

    def _on_stored(self, batch: StoredBatch) -> None:
        """Writer thread: hand over and wake the UI once per burst. Touches no widget."""
        if self._inbox.put(batch.readings):
            self.post_message(ReadingsStored())

    def on_readings_stored(self, _: ReadingsStored) -> None:
        """Move waiting readings into the charts' series, the table and toasts."""
        readings = self._inbox.take()
        if not readings or not self._table.is_attached:  # the last commits of a shutdown
            return
        for tag, points in reading_points(readings).items():
            chart = self._charts.get(tag)
            if chart is not None and chart.series.add(points):
                chart.dirty = True
                chart.urgent = chart.urgent or any(point[2] for point in points)
                chart.update_title(self.window)
        anomalies = [AnomalyRow.from_reading(r) for r in readings if r.is_anomaly]
        self._table.add_anomalies(anomalies)
        self._toast(anomalies)
        if self.frozen:
            self.frozen_count += len(readings)

    def _toast(self, anomalies: Iterable[AnomalyRow]) -> None:
        for row in anomalies:
            moment = epoch(row.timestamp)
            last = self.last_anomaly.get(row.tag)
            self.last_anomaly[row.tag] = max(moment, last or moment)
            if last is None or moment - last >= QUIET_SECONDS:
                chart = self._charts.get(row.tag)
                unit = chart.tag.unit if chart else ""
                self.notify(
                    f"{row.tag} = {format_value(row.value)} {unit} ({row.kind or 'anomaly'})",
                    title="Anomaly",
                    severity="warning",
                )

    @work(thread=True, group="history")
    def _load_history_worker(
        self, since: float, until: dict[str, float | None], first: bool
    ) -> None:
        """Thread worker: read stored readings with its own read-only Reader, post them back."""
        series: dict[str, Any] = {}
        anomalies: list[dict[str, Any]] = []
        error = None
        store = Reader(self.monitor.pipeline.db_path)
        try:
            for tag, end in until.items():
                series[tag] = read_history(store, tag, since, end)
            if first:
                anomalies = store.anomalies(limit=self.table_rows)
        except StoreUnavailable as exc:
            error = str(exc)
        finally:
            store.close()
        self.post_message(HistoryLoaded(since, series, anomalies, error))

    def _load_history(self, since: float) -> None:
        """Read from SQLite what the window shows but the series do not hold yet."""
        if self._loading:
            return
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
        """Merge history into the series, fill the table, redraw; load more if still short."""
        self._loading = False
        if not self._table.is_attached:
            return
        if message.error:
            self.notify(message.error, title="History not loaded", severity="error")
        for tag, (times, values, flags) in message.series.items():
            self._charts[tag].series.add_history(times, values, flags, message.since)
        rows = [AnomalyRow.from_row(row) for row in message.anomalies]
        self._table.add_anomalies(rows)
        for row in rows:
            moment = epoch(row.timestamp)
            self.last_anomaly[row.tag] = max(moment, self.last_anomaly.get(row.tag, moment))
        self._replot(force=True)
        if not message.error:
            self._load_history(self.window_end() - self.window)

    # -- drawing ----------------------------------------------------------------------------

    @property
    def window(self) -> int:
        """The charts' time window in seconds."""
        return WINDOWS[self.window_index]

    def window_end(self) -> float:
        """The right edge of the charts: now, or the moment they were frozen."""
        return self.frozen_at if self.frozen else self.clock()

    def _tick(self) -> None:
        self._refresh_status()
        self._alarm_tick()
        self._replot()

    def _replot(self, force: bool = False) -> None:
        """Redraw charts that are due: new data at most once per column of time, or scrolling."""
        if self.frozen and not force:
            return
        end, window, now = self.window_end(), self.window, time.monotonic()
        with self.batch_update():
            for chart in self._charts.values():
                # One cell of time (two braille dots): redrawing sooner moves the line by a dot
                # at most; an anomaly is drawn at once, and the title shows every reading.
                cell = window / max(chart.size.width, 1)
                pace = min(max(cell, 1.0), 30.0)
                since = now - chart.replotted_at
                due = chart.urgent or (chart.dirty and since >= pace) or since >= max(pace, 5.0)
                if force or due:
                    if not self._loading:
                        chart.series.trim(end - window - 60)
                    chart.replot(end, window)

    def _refresh_status(self) -> None:
        sim = self.monitor.simulator
        state = MonitorState(
            simulator=sim is not None,
            paused=bool(sim and sim.paused),
            frozen=self.frozen,
            frozen_count=self.frozen_count,
            window=self.window,
            db_path=str(self.monitor.options.db_path),
            http_url=self.monitor.http_url,
            flushing=self._flushing,
            simulator_error=sim.error if sim else None,
        )
        self._status.show(state, self.monitor.pipeline.snapshot())

    # -- keys -------------------------------------------------------------------------------

    def action_pause(self) -> None:
        """Pause or resume the simulator."""
        sim = self.monitor.simulator
        if sim is None:
            self._no_simulator()
            return
        sim.pause(not sim.paused)
        self.notify("Simulator paused" if sim.paused else "Simulator running")
        self._refresh_status()

    def action_freeze(self) -> None:
        """Freeze or unfreeze the charts; ingest continues and is counted."""
        self.frozen_at, self.frozen_count = self.clock(), 0
        self.frozen = not self.frozen
        if not self.frozen:
            self._replot(force=True)
        self._refresh_status()

    def action_select(self, index: int) -> None:
        """Select the tag shown as number index + 1."""
        if 0 <= index < len(self._charts):
            self.selected = index

    def action_next_tag(self, step: int = 1) -> None:
        """Select the next (or previous) tag."""
        self.selected = (self.selected + step) % len(self._charts)

    def watch_selected(self) -> None:
        """Highlight the selected chart (and show it alone when expanded)."""
        self._update_selection()

    def _update_selection(self) -> None:
        for i, panel in enumerate(self.query(ChartPanel)):
            panel.set_class(i == self.selected, "-selected")
            if i == self.selected:
                panel.scroll_visible()

    @property
    def selected_tag(self) -> str:
        """Name of the selected tag."""
        return self.monitor.config.tags[self.selected].name

    def action_inject(self, kind: str) -> None:
        """Inject a fault of this kind on the selected tag."""
        sim = self.monitor.simulator
        if sim is None:
            self._no_simulator()
            return
        event = sim.inject(self.selected_tag, kind)
        later = " (starts when the simulator resumes)" if sim.paused else ""
        self.notify(f"{kind} on {self.selected_tag}, {event.detail}{later}", title="Fault injected")

    def _no_simulator(self) -> None:
        if self.monitor.sources:
            where = "readings come from the configured sources"
        elif self.monitor.http_url:
            where = "readings come only from HTTP"
        else:
            where = "and no --http or source: nothing feeds the monitor"
        self.notify(f"No simulator in this run (--no-sim): {where}.", severity="warning")

    def action_outage(self) -> None:
        """Switch the simulated database outage on or off."""
        pipeline = self.monitor.pipeline
        on = not pipeline.outage_switch.on
        pipeline.set_outage(on)
        if on:
            self.notify(
                "Writes now fail: the retry queue grows, then readings go to the dead letter.",
                title="Database outage ON",
                severity="error",
            )
        else:
            self.notify("Writes succeed: retry queue and dead letter drain.", title="Outage OFF")
        self._refresh_status()

    def action_window(self, step: int) -> None:
        """Widen (+1) or narrow (-1) the time window."""
        index = min(max(self.window_index + step, 0), len(WINDOWS) - 1)
        if index == self.window_index:
            self.notify(f"The window is already {window_label(self.window)}.")
            return
        self.window_index = index
        self._load_history(self.window_end() - self.window)
        self._replot(force=True)
        self._refresh_status()

    def on_span_requested(self, message: SpanRequested) -> None:
        """Move the charts to an alarm's span (Enter on the alarm panel): select its tag and
        freeze the charts on the smallest window that holds the span with a margin; space goes
        back to live. The charts' own time navigation (issue 12) can take this over."""
        names = list(self._charts)
        if message.tag in names:
            self.selected = names.index(message.tag)
        span = max(message.end - message.start, 1.0)
        index = next((i for i, w in enumerate(WINDOWS) if w >= span * 1.5), len(WINDOWS) - 1)
        self.window_index = index
        self.frozen_at = min(message.end + (WINDOWS[index] - span) / 2, self.clock())
        self.frozen_count = 0
        self.frozen = True
        self._load_history(self.frozen_at - self.window)
        self._replot(force=True)
        self._refresh_status()

    def action_expand(self) -> None:
        """Show the selected chart alone, or all charts again."""
        self.expanded = not self.expanded

    def watch_expanded(self, expanded: bool) -> None:
        """Toggle the layout class; charts redraw themselves at their new size."""
        self.screen.set_class(expanded, "-expanded")
        self.call_after_refresh(self.query_one(ChartGrid).arrange_charts)  # after display changes

    def action_help(self) -> None:
        """Show keys and panels."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the key table, by name, in the command palette."""
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
