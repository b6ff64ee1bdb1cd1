"""The app's alarm side: keys, the panel's feed, chart spans, grade and screens.

`SensorApp` derives from `AlarmViewMixin`, so app.py stays small. Threads never touch widgets:
the writer hands changed alarm rows to an `AlarmInbox` (coalesced by id: a burst of a thousand
flagged readings on one tag is one row to update) and posts one `AlarmsChanged`; reads (initial
rows, an alarm's readings, the health report, the live grade) run in thread workers with their
own `Reader`. Commands go to `Pipeline.alarm_command` and are waited for in a worker; the panel
changes when the writer reports the committed change, like every other client's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from textual import work
from textual.app import App
from textual.message import Message
from textual.widgets import DataTable

from sensor_tui.alarming import states
from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.alarming.commands import AlarmCommand, duration_label, shelve_until
from sensor_tui.alarming.priority import HIGH, LOW
from sensor_tui.alarming.priority import NAMES as PRIORITY_NAMES
from sensor_tui.alarming.report import build_report, report_lines
from sensor_tui.model.readings import epoch, now_ts
from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.storage import StoreUnavailable
from sensor_tui.tui.alarm_panel import KINDS, AlarmPanel
from sensor_tui.tui.alarm_screens import (
    AlarmDetailScreen,
    AlarmHealthScreen,
    FilterScreen,
    ShelveScreen,
)
from sensor_tui.tui.anomaly_table import AnomalyTable
from sensor_tui.tui.chart import TagChart, format_value

TOASTS = 3
"""New alarms toasted one by one in one burst; more are summed up in one toast."""
GRADE_EVERY = 5.0
"""Seconds between live grades of the detector (a read of the alarms and events tables)."""
VALUES_EVERY = 5.0
"""Seconds between updates of the alarm table's `now` column: each update repaints the whole
table (the largest share of the monitor's CPU with a few open alarms), and the charts' titles
already show each tag's newest value every second."""
DETAIL_READINGS = 5000


class AlarmInbox:
    """Alarm rows changed by commits, by id (the latest wins), waiting for the UI, and the ids
    of the alarms those commits raised (they toast: one toast per alarm, not per reading)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, Any]] = {}
        self._raised: list[str] = []

    def put(self, changes: list[AlarmChange]) -> bool:
        """Add rows; True when the inbox was empty before (post one wake-up)."""
        with self._lock:
            was_empty = not self._rows
            for change in changes:
                self._rows[change.row["id"]] = change.row
                if change.from_state is None and change.to_state in states.ACTIVE_STATES:
                    self._raised.append(change.row["id"])
            return was_empty and bool(self._rows)

    def take(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Everything waiting, and the rows of the alarms raised meanwhile; empty afterwards."""
        with self._lock:
            rows, self._rows = self._rows, {}
            raised, self._raised = self._raised, []
        return list(rows.values()), [rows[key] for key in dict.fromkeys(raised) if key in rows]


def alarm_message(row: dict[str, Any], unit: str) -> str:
    """A new alarm in one line: tag, kind, the value that raised it."""
    kind = (row.get("kind") or "anomaly").replace("_", " ")
    value = row.get("peak_value")
    shown = "" if value is None else f" at {format_value(value)} {unit}".rstrip()
    return f"{row['tag']}: {kind}{shown}"


@dataclass
class AlarmsChanged(Message):
    """Alarm rows wait in the app's alarm inbox."""


@dataclass
class AlarmsLoaded(Message):
    """Alarm rows read from SQLite (at start)."""

    rows: list[dict[str, Any]]


@dataclass
class AlarmDetailLoaded(Message):
    """An alarm's journal and readings, read for the detail screen."""

    row: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)
    readings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class HealthLoaded(Message):
    """The health report, whole database and since the monitor started."""

    lines: list[str]
    session: list[str]


@dataclass
class SpanRequested(Message):
    """Move the charts to [start, end] of a tag (epoch seconds): Enter on an alarm."""

    tag: str
    start: float
    end: float


@dataclass
class GradeLoaded(Message):
    """The detector's grade since the monitor started."""

    line: str


def is_warming(detector: Any) -> bool:
    """True while a detector says it has too few readings to judge (`warming_up`, which the
    built-in ones have; a plug-in without it is taken as judging). Read from the UI thread
    without a lock: a stale answer costs one tick."""
    return getattr(detector, "warming_up", False) is True


class AlarmViewMixin(App[None]):
    """Everything alarm-related of the app; `SensorApp` derives from it.

    It uses of the app only what is declared here; moving the charts to an alarm's span is the
    app's (it owns the charts' time), asked for with `SpanRequested`.
    """

    monitor: Monitor | HistorianView
    _charts: dict[str, TagChart]
    _table: AnomalyTable

    def _alarm_setup(self) -> None:
        self._alarm_inbox = AlarmInbox()
        self._alarm_started = now_ts()
        """The grade under the panel counts from here (the monitor's start)."""
        self._graded_at = 0.0
        self._values_at = 0.0
        units = {tag.name: tag.unit for tag in self.monitor.config.tags}
        units |= {unit.name: "" for unit in self.monitor.config.units}  # a unit's alarms too
        limits = [end for tag in self.monitor.config.tags for end in (*tag.valid, *tag.normal)]
        value_width = max([7, *(len(format_value(end)) for end in limits)])
        self._alarm_panel = AlarmPanel(units, value_width=value_width, id="alarms")

    def _alarm_mount(self) -> None:
        self.monitor.pipeline.subscribe_alarms(self._on_alarm_changes)
        self._load_alarms()
        self._alarm_panel.focus()

    # -- rows in -----------------------------------------------------------------------------

    def _on_alarm_changes(self, changes: list[AlarmChange]) -> None:
        """Writer thread: hand over, wake the UI once per burst."""
        if self._alarm_inbox.put(changes):
            self.post_message(AlarmsChanged())

    def on_alarms_changed(self, _: AlarmsChanged) -> None:
        """Update the panel and the charts' spans with what the writer committed."""
        rows, raised = self._alarm_inbox.take()
        if rows and self._alarm_panel.is_attached:
            self._alarm_panel.upsert(rows)
            self._update_spans({row["tag"] for row in rows})
            self._toast_alarms(raised)

    def _toast_alarms(self, raised: list[dict[str, Any]]) -> None:
        """One toast per new alarm, at most `TOASTS` per burst: a flood is summed up in one
        more toast (the panel holds every row), so toasts never bury the screen."""
        for row in raised[:TOASTS]:
            prio = row.get("priority") or LOW
            self.notify(
                alarm_message(row, self._alarm_panel.units.get(row["tag"], "")),
                title=f"Alarm: {PRIORITY_NAMES[prio]}",
                severity="error" if prio <= HIGH else "warning",
                markup=False,  # tag and unit are the user's text, not markup
            )
        more = len(raised) - TOASTS
        if more > 0:
            self.notify(
                f"and {more} more new alarm{'s' if more > 1 else ''}: see the alarm panel",
                title="Alarm flood",
                severity="error",
            )

    @work(thread=True, group="alarms-load")
    def _load_alarms(self) -> None:
        reader = self.monitor.open_reader()
        try:
            rows = {r["id"]: r for r in reader.list_alarms(None, limit=200)}
            rows |= {r["id"]: r for r in reader.list_alarms(states.OPEN_STATES, limit=500)}
        except StoreUnavailable:
            rows = {}
        finally:
            reader.close()
        self.post_message(AlarmsLoaded(list(rows.values())))

    def on_alarms_loaded(self, message: AlarmsLoaded) -> None:
        """Fill the panel at start."""
        if self._alarm_panel.is_attached:
            self._alarm_panel.upsert(message.rows)
            self._update_spans({row["tag"] for row in message.rows}, redraw=True)

    def _update_spans(self, tags: set[str], redraw: bool = False) -> None:
        """Give each chart the spans of its tag's alarms: drawn at the next replot, or at once
        with `redraw` (the first load, which may land after the history was drawn)."""
        spans: dict[str, list[tuple[float, float, tuple[int, int, int]]]] = {
            tag: [] for tag in tags
        }
        for row in self._alarm_panel.alarms.values():
            if row["tag"] in spans:
                colour = KINDS.get(row["kind"], KINDS["anomaly"])[1]
                spans[row["tag"]].append((epoch(row["start"]), epoch(row["end"]), colour))
        for tag, tag_spans in spans.items():
            chart = self._charts.get(tag)
            if chart is not None:
                chart.set_spans(tag_spans)
                if redraw and chart.last_view is not None:
                    chart.replot(*chart.last_view)

    def _alarm_tick(self) -> None:
        """On the refresh tick: value now, warm-up marks, and the grade every few seconds."""
        panel = self._alarm_panel
        for name, chart in self._charts.items():
            latest = chart.series.latest
            if latest:
                panel.values_now[name] = latest[1]
            detector = self.monitor.pipeline.detectors.get(name)
            chart.set_warming(detector is not None and is_warming(detector))
        now = time.monotonic()
        if now - self._values_at >= VALUES_EVERY:
            self._values_at = now
            panel.refresh_values()
        if now - self._graded_at >= GRADE_EVERY:
            self._graded_at = now
            self._grade()

    @work(thread=True, group="alarms-grade", exclusive=True)
    def _grade(self) -> None:
        reader = self.monitor.open_reader()
        try:
            since = self._alarm_started
            _, grading = build_report(*reader.report_inputs(since), since)
        except StoreUnavailable:
            return
        finally:
            reader.close()
        self.post_message(GradeLoaded(grading.line()))

    def on_grade_loaded(self, message: GradeLoaded) -> None:
        """Show the grade under the panel."""
        self._alarm_panel.show_grade(message.line)

    # -- keys --------------------------------------------------------------------------------

    def _selected_alarm(self) -> dict[str, Any] | None:
        row = self._alarm_panel.selected
        if row is None:
            self.notify("No alarm selected.", severity="warning")
        return row

    def action_alarm_ack(self) -> None:
        """Acknowledge the selected alarm."""
        row = self._selected_alarm()
        if row is not None:
            self._send(
                AlarmCommand("ack", (row["id"],)), f"Acknowledged {row['tag']} {row['kind']}"
            )

    def action_alarm_ack_all(self) -> None:
        """Acknowledge every visible alarm that can be (the rest are left as they are)."""
        ids = tuple(
            i
            for i in self._alarm_panel.visible_ids()
            if self._alarm_panel.alarms[i]["state"] in states.UNACKED_STATES
        )
        if not ids:
            self.notify("Nothing to acknowledge in view.")
            return
        self._send(AlarmCommand("ack", ids, strict=False), f"Acknowledged {len(ids)} alarms")

    def action_alarm_shelve(self) -> None:
        """Ask how long, then shelve the selected alarm."""
        row = self._selected_alarm()
        if row is None:
            return

        def chosen(seconds: float | None) -> None:
            if seconds:
                label = f"Shelved {row['tag']} {row['kind']} for {duration_label(seconds)}"
                command = AlarmCommand("shelve", (row["id"],), until=shelve_until(seconds))
                self._send(command, label)

        self.push_screen(ShelveScreen(row["id"]), chosen)

    def action_alarm_unshelve(self) -> None:
        """Unshelve the selected alarm."""
        row = self._selected_alarm()
        if row is not None:
            self._send(AlarmCommand("unshelve", (row["id"],)), f"Unshelved {row['tag']}")

    def action_alarm_filter(self) -> None:
        """Choose the panel's state and tag filters."""
        panel = self._alarm_panel

        def chosen(choice: tuple[str, str | None] | None) -> None:
            if choice is not None:
                panel.state_filter, panel.tag_filter = choice
                panel.refilter()

        tags = list(self.monitor.config.tag_names)
        self.push_screen(FilterScreen(panel.state_filter, panel.tag_filter, tags), chosen)

    def action_toggle_table(self) -> None:
        """Alarm panel or the reading (anomaly) table."""
        readings = not self.screen.has_class("-readings")
        self.screen.set_class(readings, "-readings")
        (self._table if readings else self._alarm_panel).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on the panel: the alarm's detail."""
        if event.data_table is self._alarm_panel:
            self.action_alarm_detail()

    def action_alarm_detail(self) -> None:
        """Move the charts to the alarm's span and show its journal and readings."""
        row = self._selected_alarm()
        if row is not None:
            self.post_message(SpanRequested(row["tag"], epoch(row["start"]), epoch(row["end"])))
            self._load_detail(row)

    @work(thread=True, group="alarm-detail", exclusive=True)
    def _load_detail(self, row: dict[str, Any]) -> None:
        reader = self.monitor.open_reader()
        try:
            entries = reader.journal(row["id"])
            readings = reader.latest(row["tag"], DETAIL_READINGS, row["start"], row["end"])
        except StoreUnavailable:
            entries, readings = [], []
        finally:
            reader.close()
        self.post_message(AlarmDetailLoaded(row, entries, readings))

    def on_alarm_detail_loaded(self, message: AlarmDetailLoaded) -> None:
        """Show the detail screen."""
        unit = self._alarm_panel.units.get(message.row["tag"], "")
        self.push_screen(AlarmDetailScreen(message.row, unit, message.entries, message.readings))

    def action_alarm_health(self) -> None:
        """The alarm health screen (KPIs and the detector's grade)."""
        if not isinstance(self.screen, AlarmHealthScreen):
            self._load_health()

    @work(thread=True, group="alarm-health", exclusive=True)
    def _load_health(self) -> None:
        reader = self.monitor.open_reader()
        try:
            whole = report_lines(*build_report(*reader.report_inputs()))
            since = self._alarm_started
            session = report_lines(*build_report(*reader.report_inputs(since), since))
        except StoreUnavailable as exc:
            whole, session = [f"cannot read the database: {exc}"], []
        finally:
            reader.close()
        self.post_message(HealthLoaded(whole, session))

    def on_health_loaded(self, message: HealthLoaded) -> None:
        """Show the health screen."""
        self.push_screen(AlarmHealthScreen(message.lines, message.session))

    # -- commands ----------------------------------------------------------------------------

    def _send(self, command: AlarmCommand, done: str) -> None:
        try:
            future = self.monitor.pipeline.alarm_command(command)
        except Exception as exc:  # stopped pipeline (a screenshot run): say so, change nothing
            self.notify(str(exc), title="Alarm not changed", severity="error", markup=False)
            return
        self._await_command(future, done)

    @work(thread=True, group="alarm-command")
    def _await_command(self, future: Any, done: str) -> None:
        try:
            future.result(30)
        except Exception as exc:
            self.call_from_thread(
                self.notify, str(exc), title="Alarm not changed", severity="error", markup=False
            )
            return
        self.call_from_thread(self.notify, done, markup=False)
