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
    ("p", "pause / resume the simulator"),
    ("space", "freeze / unfreeze the charts (ingest continues; the status counts what arrives)"),
    ("1-9, tab", "select a tag (shift+tab: previous)"),
    ("s d k n", "inject a spike / drift / stuck sensor / noise burst on the selected tag"),
    ("o", "database outage on / off: writes fail, the retry queue grows, then the dead letter"),
    ("+ -", "widen / narrow the time window: 1m 5m 15m 1h 6h 24h (older points from SQLite)"),
    ("e", "expand the selected chart / back to all charts"),
    ("a  A", "acknowledge the selected alarm / every alarm in view"),
    ("h  u", "shelve the selected alarm for a chosen time / unshelve it"),
    ("f", "filter the alarm panel by state (open, all, active, ...) and tag"),
    ("enter", "the selected alarm's journal and readings; the charts move to its span"),
    ("r", "alarm panel / reading table (the latest anomalous readings)"),
    ("H", "alarm health: alarms per 10 min, floods, chattering, stale, bad actors, grade"),
    ("?", "this help (escape closes it)"),
    ("ctrl+p", "command palette: every action by name"),
    ("q", "quit, after flushing every reading to SQLite or the dead-letter file"),
)

PANELS: tuple[tuple[str, str], ...] = (
    (
        "charts",
        "one per tag: blue line = readings, red ● = anomalies, green lines = the normal "
        "band, a bar along the bottom = the time an alarm was active (its kind's colour); the "
        "title shows the latest value, the bottom the band, the anomalies in view and whether "
        "the detector is still warming up",
    ),
    (
        "alarms",
        "one row per fault, newest first: state (! ACTIVE UNACK, ✓ ACTIVE ACK, ↩ RTN UNACK, "
        "⏸ SHELVED, · NORMAL), priority, tag, kind (▲ spike ■ step ◢ drift ═ stuck ≈ noise "
        "◆ out_of_band), start, duration, peak, value now, unit, src (inj: injected fault, "
        "rnd: random simulator spike, sim: no fault behind it, real: HTTP or import); below: "
        "the detector's grade since start",
    ),
    (
        "anomalies",
        "(key r) the latest anomalous readings, newest first: time (UTC), tag, value, kind "
        "and score",
    ),
    (
        "status",
        "RUNNING / PAUSED / FROZEN, readings per second, stored, anomalies, rejected; "
        "database state, retry queue, dead-letter count, HTTP address, database file",
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
