"""The help screen (key ?): every key (from `tui/keys.py`), and what each panel means."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from sensor_tui.tui.keys import help_rows

PANELS: tuple[tuple[str, str], ...] = (
    (
        "charts",
        "one per tag, all over the same span: blue line = readings (yellow: not stored yet), "
        "red ● = anomalies, ▲ ▼ = values beyond the scale, green ┈ = the normal band on the rows "
        "labelled with its limits, a bar along the bottom = the time an alarm was active (its "
        "kind's colour); x axis in UTC clock time; ▶ and a heavy border = selected (a click "
        "selects); the top border shows the latest (or cursor) value, the bottom the band, the "
        "anomalies in view counted in the database and whether the detector is warming up",
    ),
    (
        "unit health",
        "after the tags' charts, one per unit ([[units]]): its detector's statistic in units of "
        "its limit (the limit is the line at 1), red ● = observations over it; the "
        "top border shows the statistic against its limit, or the reference being learned; "
        "select it like a tag's chart; M learns the span in view as its reference",
    ),
    (
        "alarms",
        "one row per fault, newest first: state (! ACTIVE UNACK, ✓ ACTIVE ACK, ↩ RTN UNACK, "
        "⏸ SHELVED, · NORMAL), priority, tag or unit, kind (▲ spike ■ step ◢ drift ═ stuck "
        "≈ noise ◆ out_of_band ⋈ relation ⇶ shift), start, duration, peak, value now, unit, "
        "src (inj: injected fault, rnd: random simulator spike, sim: no fault behind it, real: "
        "HTTP or import), moved by (a unit alarm's leading tags); below: the detector's grade "
        "since start",
    ),
    (
        "anomalies",
        "(key r) the latest anomalous readings, newest first: time (UTC), tag, value, kind "
        "and score",
    ),
    (
        "status",
        "RUNNING / PAUSED, view LIVE / FROZEN / the span being viewed, window, readings per "
        "second (stored or not), stored, anomalies this run, rejected; the cursor's values; "
        "database state and outage reason, readings not stored yet, retry queue, dead letter, "
        "HTTP, file",
    ),
)


def help_table() -> Table:
    """Keys (from the key table, by group) and panels as one table."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(ratio=1)
    for group, rows in help_rows():
        table.add_row(Text(f"Keys: {group}", style="bold underline"), "")
        for key, what in rows:
            table.add_row(key, what)
        table.add_row("", "")
    table.add_row(Text("Panels", style="bold underline"), "")
    for panel, what in PANELS:
        table.add_row(panel, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and panels over the monitor, which keeps running underneath."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,enter", "dismiss", "Close help", key_display="esc"),
    ]

    def compose(self) -> ComposeResult:
        """One scrollable panel."""
        with VerticalScroll(id="help-panel"):
            yield Static(help_table(), id="help-text")

    def on_mount(self) -> None:
        """Title the panel."""
        panel = self.query_one("#help-panel")
        panel.border_title = "sensor-tui help"
        panel.border_subtitle = "esc to close"
