"""The help screen (key ?): every key, and what each panel of the screen means."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("[ ]", "pan every chart back / forward one screen (mouse wheel over a chart: a tenth)"),
    ("g", "go to a date or time (UTC: 2014-02-14 13:05, 13:05, -2h) from the database"),
    ("L, end", "back to the newest readings, following them (LIVE)"),
    ("c , .", "cursor on / off, move it: its time and every tag's value at it"),
    ("x", "export the view (its time span, the tags in view) to a CSV file"),
    ("+ -", "widen / narrow the time window: 1m 5m 15m 1h 6h 24h 7d 30d (rollups past 1h)"),
    ("space", "freeze / unfreeze the charts (ingest continues; the status counts what arrives)"),
    ("p", "pause / resume the simulator"),
    ("1-9, tab", "select a tag (shift+tab: previous; a click on a chart selects it too)"),
    ("s d k n", "inject a spike / drift / stuck sensor / noise burst on the selected tag"),
    ("o", "database outage on / off: writes fail, the retry queue grows, then the dead letter"),
    ("e", "expand the selected chart / back to all charts"),
    ("?", "this help (escape closes it)"),
    ("ctrl+p", "command palette: every action by name"),
    ("q", "quit, after flushing every reading to SQLite or the dead-letter file"),
)

PANELS: tuple[tuple[str, str], ...] = (
    (
        "charts",
        "one per tag, all over the same span: blue line = readings (yellow: not stored yet), "
        "red ● = anomalies, ▲ ▼ = values beyond the scale, green ┈ = the normal band on the rows "
        "labelled with its limits; x axis in UTC clock time; ▶ and a heavy border = selected; "
        "the top border shows the latest (or cursor) value, the bottom the band and the "
        "anomalies in view counted in the database",
    ),
    (
        "anomalies",
        "the latest anomalous readings, newest first: time (UTC), tag, value, kind "
        "(spike, step, drift, stuck, noise, out_of_band) and score",
    ),
    (
        "status",
        "RUNNING / PAUSED, LIVE / FROZEN / the span being viewed, window, readings per second "
        "(stored or not), stored, anomalies this run, rejected; the cursor's values; database "
        "state and outage reason, readings not stored yet, retry queue, dead letter, HTTP, file",
    ),
)


def help_table() -> Table:
    """Keys and panels as one table (also the source of docs/tui.md's lists)."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(ratio=1)
    table.add_row(Text("Keys", style="bold underline"), "")
    for key, what in KEYS:
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
