"""The alarm pane: the alarm panel with everything that feeds it and every alarm key.

It owns its panel, its inbox and its workers; the app composes it and routes what it asks for
(attributes down, messages up):

- the writer hands alarm changes to the pane's `Inbox` and the pane posts itself one
  `AlarmsChanged` per burst; the UI thread upserts the rows and toasts the new alarms;
- reads (the rows at start, an alarm's detail, the health report, the live grade) run in thread
  workers (`tui.alarm_loads`), each with its own read-only `Reader`;
- commands go to `Pipeline.alarm_command` and are waited for in a worker; the panel changes when
  the writer reports the committed change, like every other client's;
- what it cannot do itself it asks for: `AlarmSpansChanged` (draw these spans on the charts) and
  `SpanRequested` (move the charts to an alarm), both routed by the app.
Its keys are bound in `tui.keys` as `alarms.<action>`: they act on the pane wherever the focus is.
"""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable

from sensor_tui.alarming import states
from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.alarming.commands import AlarmCommand, duration_label, shelve_until
from sensor_tui.model.alarm_record import AnyAlarmRow
from sensor_tui.model.readings import epoch, now_ts
from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.tui.alarm_loads import alarm_detail, grade_line, health_lines, initial_alarms
from sensor_tui.tui.alarm_panel import KINDS, AlarmPanel
from sensor_tui.tui.alarm_screens import (
    AlarmDetailScreen,
    AlarmHealthScreen,
    FilterScreen,
    ShelveScreen,
)
from sensor_tui.tui.alarm_toasts import toast_alarms
from sensor_tui.tui.chart import format_value
from sensor_tui.tui.inbox import alarm_inbox, raised
from sensor_tui.tui.messages import (
    AlarmDetailLoaded,
    AlarmsChanged,
    AlarmsLoaded,
    AlarmSpansChanged,
    GradeLoaded,
    HealthLoaded,
    Span,
    SpanRequested,
)

GRADE_EVERY = 15.0
"""Seconds between live grades of the detector: each reads the session's alarms and events and
rebuilds the report, work that grows with the alarms listed, for a line of session totals an
operator reads now and then (the first grade comes with the first tick)."""
VALUES_EVERY = 10.0
"""Seconds between updates of the alarm table's `now` column for alarms that did not change
meanwhile (an alarm that changes shows its tag's value with the change). Each update repaints
every row whose value moved, the largest share of the monitor's CPU left with a dozen alarms
listed; the charts' titles already show each tag's newest value every second."""


class AlarmPane(Widget):
    """The alarm panel, its feed, its workers and its keys."""

    def __init__(
        self, monitor: Monitor | HistorianView, readings_table: Widget, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.monitor = monitor
        self.readings_table = readings_table
        """The reading table that `r` shows instead of the panel (the app's)."""
        self.started = now_ts()
        """The grade under the panel counts from here (the monitor's start)."""
        self._inbox = alarm_inbox()
        self._graded_at = 0.0
        self._values_at = 0.0
        config = monitor.config
        units = {tag.name: tag.unit for tag in config.tags}
        units |= {unit.name: "" for unit in config.units}  # a unit's alarms too
        limits = [end for tag in config.tags for end in (*tag.valid, *tag.normal)]
        value_width = max([7, *(len(format_value(end)) for end in limits)])
        self.panel = AlarmPanel(units, value_width=value_width, id="alarms")

    def compose(self) -> ComposeResult:
        """Just the panel; the screens it opens are pushed on the app."""
        yield self.panel

    def on_mount(self) -> None:
        """Subscribe to the writer's alarm changes, read the rows at start, take the keys."""
        self.monitor.pipeline.subscribe_alarms(self._on_alarm_changes)
        self._load_alarms()
        self.panel.focus()

    # -- rows in -----------------------------------------------------------------------------

    def _on_alarm_changes(self, changes: list[AlarmChange]) -> None:
        """Writer thread: hand over, wake the UI once per burst."""
        if self._inbox.put(changes):
            self.post_message(AlarmsChanged())

    def on_alarms_changed(self, _: AlarmsChanged) -> None:
        """Update the panel and the charts' spans with what the writer committed."""
        changes = self._inbox.take()
        rows = {change.row["id"]: change.row for change in changes}  # the latest wins
        if rows and self.panel.is_attached:
            self.panel.upsert(list(rows.values()))
            self._update_spans({row["tag"] for row in rows.values()})
            new = dict.fromkeys(c.row["id"] for c in changes if raised(c))
            toast_alarms(self.notify, [rows[key] for key in new], self.panel.units)

    @work(thread=True, group="alarms-load")
    def _load_alarms(self) -> None:
        self.post_message(AlarmsLoaded(initial_alarms(self.monitor.open_reader)))

    def on_alarms_loaded(self, message: AlarmsLoaded) -> None:
        """Fill the panel at start."""
        if self.panel.is_attached:
            self.panel.upsert(message.rows)
            self._update_spans({row["tag"] for row in message.rows}, redraw=True)

    def _update_spans(self, tags: set[str], redraw: bool = False) -> None:
        """Ask for each tag's chart to show the spans of its alarms."""
        spans: dict[str, list[Span]] = {tag: [] for tag in tags}
        for row in self.panel.alarms.values():
            if row["tag"] in spans:
                colour = KINDS.get(row["kind"], KINDS["anomaly"])[1]
                spans[row["tag"]].append((epoch(row["start"]), epoch(row["end"]), colour))
        self.post_message(AlarmSpansChanged(spans, redraw))

    def tick(self, values_now: dict[str, float]) -> None:
        """On the app's refresh tick: each tag's value now, and the grade every few seconds."""
        self.panel.values_now.update(values_now)
        now = time.monotonic()
        if now - self._values_at >= VALUES_EVERY:
            self._values_at = now
            self.panel.refresh_values()
        if now - self._graded_at >= GRADE_EVERY:
            self._graded_at = now
            self._grade()

    @work(thread=True, group="alarms-grade", exclusive=True)
    def _grade(self) -> None:
        line = grade_line(self.monitor.open_reader, self.started)
        if line is not None:
            self.post_message(GradeLoaded(line))

    def on_grade_loaded(self, message: GradeLoaded) -> None:
        """Show the grade under the panel."""
        self.panel.show_grade(message.line)

    # -- keys --------------------------------------------------------------------------------

    def _selected_alarm(self) -> AnyAlarmRow | None:
        row = self.panel.selected
        if row is None:
            self.notify("No alarm selected.", severity="warning")
        return row

    def action_ack(self) -> None:
        """Acknowledge the selected alarm."""
        if self._refused():
            return
        row = self._selected_alarm()
        if row is not None:
            self._send(
                AlarmCommand("ack", (row["id"],)), f"Acknowledged {row['tag']} {row['kind']}"
            )

    def action_ack_all(self) -> None:
        """Acknowledge every visible alarm that can be (the rest are left as they are)."""
        if self._refused():
            return
        alarms = self.panel.alarms
        ids = tuple(
            i for i in self.panel.visible_ids() if alarms[i]["state"] in states.UNACKED_STATES
        )
        if not ids:
            self.notify("Nothing to acknowledge in view.")
            return
        self._send(AlarmCommand("ack", ids, strict=False), f"Acknowledged {len(ids)} alarms")

    def action_shelve(self) -> None:
        """Ask how long, then shelve the selected alarm."""
        if self._refused():
            return
        row = self._selected_alarm()
        if row is None:
            return

        def chosen(seconds: float | None) -> None:
            if seconds:
                label = f"Shelved {row['tag']} {row['kind']} for {duration_label(seconds)}"
                command = AlarmCommand("shelve", (row["id"],), until=shelve_until(seconds))
                self._send(command, label)

        self.app.push_screen(ShelveScreen(row["id"]), chosen)

    def action_unshelve(self) -> None:
        """Unshelve the selected alarm."""
        if self._refused():
            return
        row = self._selected_alarm()
        if row is not None:
            self._send(AlarmCommand("unshelve", (row["id"],)), f"Unshelved {row['tag']}")

    def _refused(self) -> bool:
        """True, and says why, in a view that changes nothing (the historian's): the refusal
        comes before any dialog, so no operator picks a shelve time to be told no."""
        reason = self.monitor.read_only
        if reason is not None:
            self.notify(reason, title="Read-only", severity="warning", markup=False)
        return reason is not None

    def action_filter(self) -> None:
        """Choose the panel's state and tag filters."""
        panel = self.panel

        def chosen(choice: tuple[str, str | None] | None) -> None:
            if choice is not None:
                panel.state_filter, panel.tag_filter = choice
                panel.refilter()

        tags = list(self.monitor.config.tag_names)
        self.app.push_screen(FilterScreen(panel.state_filter, panel.tag_filter, tags), chosen)

    def action_toggle_table(self) -> None:
        """Alarm panel or the reading (anomaly) table."""
        readings = not self.screen.has_class("-readings")
        self.screen.set_class(readings, "-readings")
        (self.readings_table if readings else self.panel).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on the panel: the alarm's detail."""
        if event.data_table is self.panel:
            self.action_detail()

    def action_detail(self) -> None:
        """Move the charts to the alarm's span and show its journal and readings."""
        row = self._selected_alarm()
        if row is not None:
            self.post_message(SpanRequested(row["tag"], epoch(row["start"]), epoch(row["end"])))
            self._load_detail(row)

    @work(thread=True, group="alarm-detail", exclusive=True)
    def _load_detail(self, row: AnyAlarmRow) -> None:
        entries, readings = alarm_detail(self.monitor.open_reader, row)
        self.post_message(AlarmDetailLoaded(row, entries, readings))

    def on_alarm_detail_loaded(self, message: AlarmDetailLoaded) -> None:
        """Show the detail screen."""
        row, unit = message.row, self.panel.units.get(message.row["tag"], "")
        self.app.push_screen(AlarmDetailScreen(row, unit, message.entries, message.readings))

    def action_health(self) -> None:
        """The alarm health screen (KPIs and the detector's grade)."""
        if not isinstance(self.app.screen, AlarmHealthScreen):
            self._load_health()

    @work(thread=True, group="alarm-health", exclusive=True)
    def _load_health(self) -> None:
        whole, session = health_lines(self.monitor.open_reader, self.started)
        self.post_message(HealthLoaded(whole, session))

    def on_health_loaded(self, message: HealthLoaded) -> None:
        """Show the health screen."""
        self.app.push_screen(AlarmHealthScreen(message.lines, message.session))

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
            self.app.call_from_thread(
                self.notify, str(exc), title="Alarm not changed", severity="error", markup=False
            )
            return
        self.app.call_from_thread(self.notify, done, markup=False)
