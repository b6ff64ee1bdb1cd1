"""The alarm panel's small screens: shelve for how long, filter, an alarm's detail, health.

Each is a modal over the running monitor; none writes anything. Choices are returned to the
app, which submits the command to the pipeline.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from sensor_tui.alarming import states
from sensor_tui.alarming.commands import SHELVE_CHOICES, duration_label
from sensor_tui.alarming.priority import NAMES as PRIORITY_NAMES
from sensor_tui.model.alarm_record import AnyAlarmRow
from sensor_tui.tui.alarm_panel import FILTERS, kind_text, origin_label
from sensor_tui.tui.chart import format_value


class ShelveScreen(ModalScreen[float | None]):
    """Pick how long to shelve the selected alarm (enter), or escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, alarm_id: str) -> None:
        super().__init__()
        self.alarm_id = alarm_id

    def compose(self) -> ComposeResult:
        """One list of durations."""
        options = [Option(duration_label(s), id=str(s)) for s in SHELVE_CHOICES]
        with Vertical(id="shelve-panel", classes="alarm-modal"):
            yield OptionList(*options, id="shelve-choices")

    def on_mount(self) -> None:
        """Title: which alarm."""
        panel = self.query_one("#shelve-panel")
        panel.border_title = f"Shelve {escape(self.alarm_id)} for"
        panel.border_subtitle = "enter choose · esc cancel"

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Return the chosen seconds."""
        self.dismiss(float(event.option.id or 0))


class FilterScreen(ModalScreen[tuple[str, str | None] | None]):
    """Pick a state filter and a tag (left/right switch lists, enter applies, escape cancels)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("enter", "apply", "Apply", priority=True),
        Binding("left", "focus_list('filter-state')", "States", show=False),
        Binding("right", "focus_list('filter-tag')", "Tags", show=False),
    ]

    def __init__(self, state: str, tag: str | None, tags: list[str]) -> None:
        super().__init__()
        self.state, self.tag, self.tags = state, tag, tags

    def compose(self) -> ComposeResult:
        """Two lists side by side."""
        with Horizontal(id="filter-panel", classes="alarm-modal"):
            yield OptionList(*[Option(name, id=name) for name in FILTERS], id="filter-state")
            tags = [Option("every tag", id="*"), *(Option(Text(t), id=t) for t in self.tags)]
            yield OptionList(*tags, id="filter-tag")

    def on_mount(self) -> None:
        """Highlight the current choice."""
        panel = self.query_one("#filter-panel")
        panel.border_title = "Filter alarms"
        panel.border_subtitle = "←/→ switch · enter apply · esc cancel"
        states_list = self.query_one("#filter-state", OptionList)
        states_list.highlighted = list(FILTERS).index(self.state)
        tags_list = self.query_one("#filter-tag", OptionList)
        tags_list.highlighted = 0 if self.tag is None else self.tags.index(self.tag) + 1
        states_list.focus()

    def action_focus_list(self, list_id: str) -> None:
        """Move between the state list and the tag list."""
        self.query_one(f"#{list_id}", OptionList).focus()

    def action_apply(self) -> None:
        """Return (state filter, tag or None)."""
        states_list = self.query_one("#filter-state", OptionList)
        tags_list = self.query_one("#filter-tag", OptionList)
        state = list(FILTERS)[states_list.highlighted or 0]
        index = tags_list.highlighted or 0
        self.dismiss((state, None if index == 0 else self.tags[index - 1]))


def alarm_summary(row: AnyAlarmRow, unit: str) -> Table:
    """The alarm's fields as a two-column table (every value `Text`: a `str` cell of a Rich
    table is markup, and `by` comes from the network)."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    peak = row.get("peak_value")
    until = f" until {row['shelved_until']}" if row.get("shelved_until") else ""
    for name, value in (
        ("state", states.LABELS.get(row["state"], row["state"]) + until),
        ("priority", PRIORITY_NAMES.get(row.get("priority") or 4, "")),
        ("tag", row["tag"]),
        ("kind", kind_text(row["kind"])),
        ("from", row["start"]),
        ("to", row["end"] + ("" if not row["active"] else "  (still active)")),
        ("readings flagged", str(row["readings"])),
        ("peak", "" if peak is None else f"{format_value(peak)} {unit}"),
        ("origin", origin_label(row)),
        ("acknowledged", f"{row.get('acked_at') or '-'} by {row.get('acked_by') or '-'}"),
    ):
        table.add_row(name, value if isinstance(value, Text) else Text(value))
    shares = contributions_bars(row.get("contributions"))
    if shares:
        table.add_row("moved by", Text(shares))
    return table


def contributions_bars(value: Any, top: int = 8) -> str:
    """A unit alarm's tags by their share of the statistic, one line each with a bar."""
    if isinstance(value, str):
        value = json.loads(value)
    if not value:
        return ""
    ranked = sorted(value.items(), key=lambda item: -item[1])[:top]
    width = max(len(tag) for tag, _ in ranked)
    return "\n".join(
        f"{tag:<{width}} {share:>4.0%} {'█' * max(1, round(share * 20))}" for tag, share in ranked
    )


def journal_table(entries: list[dict[str, Any]]) -> Table:
    """Every transition, oldest first."""
    table = Table(box=None, padding=(0, 2, 0, 0), title="journal", title_justify="left")
    for column in ("time (UTC)", "from", "to", "by", "via", "detail"):
        table.add_column(column, no_wrap=True)
    for entry in entries:
        table.add_row(
            entry["time"][11:19],
            states.LABELS.get(entry["from_state"] or "", "-"),
            Text(states.LABELS.get(entry["to_state"], entry["to_state"])),
            Text(entry["actor"]),
            Text(entry["via"]),
            Text(entry["detail"] or ""),
        )
    return table


class AlarmDetailScreen(ModalScreen[None]):
    """An alarm, its journal and its readings (the charts behind moved to its span)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss", "Close", key_display="esc", priority=True),
    ]

    def __init__(
        self, row: AnyAlarmRow, unit: str, entries: list[dict[str, Any]], readings: list[Any]
    ) -> None:
        super().__init__()
        self.row, self.unit, self.entries, self.readings = row, unit, entries, readings

    def compose(self) -> ComposeResult:
        """Summary and journal above, readings below."""
        with Vertical(id="detail-panel", classes="alarm-modal"):
            yield Static(alarm_summary(self.row, self.unit), id="detail-summary")
            yield Static(journal_table(self.entries), id="detail-journal")
            yield DataTable(id="detail-readings", zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        """Fill the readings table."""
        panel = self.query_one("#detail-panel")
        panel.border_title = f"Alarm {escape(self.row['id'])}"
        panel.border_subtitle = "charts moved to its span (L: back to live) · esc close"
        table = self.query_one("#detail-readings", DataTable)
        table.add_columns("time (UTC)", "value", "flag", "kind", "score", "source")
        for r in self.readings:
            table.add_row(
                r["timestamp"][11:23],
                Text(format_value(r["value"]), justify="right"),
                "●" if r["is_anomaly"] else "",
                Text(r["kind"] or ""),
                "" if r["score"] is None else f"{r['score']:.3g}",
                Text(r["source"]),
            )
        table.border_title = (
            f"{len(self.readings)} readings of {escape(self.row['tag'])} in its span"
        )


class AlarmHealthScreen(ModalScreen[None]):
    """Alarm health KPIs (EEMUA 191 / ISA-18.2) and the detector's grade."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,H", "dismiss", "Close", key_display="esc"),
    ]

    def __init__(self, lines: list[str], since_start: list[str]) -> None:
        super().__init__()
        self.lines, self.since_start = lines, since_start

    def compose(self) -> ComposeResult:
        """The report's lines."""
        with VerticalScroll(id="health-panel", classes="alarm-modal"):
            yield Static(Text("since this monitor started", style="bold underline"))
            yield Static(Text("\n".join(self.since_start)), id="health-session")
            yield Static(Text("\nwhole database", style="bold underline"))
            yield Static(Text("\n".join(self.lines)), id="health-text")

    def on_mount(self) -> None:
        """Title."""
        panel = self.query_one("#health-panel")
        panel.border_title = "Alarm health (EEMUA 191 / ISA-18.2)"
        panel.border_subtitle = "esc close · sensor-tui alarms report prints the same"
