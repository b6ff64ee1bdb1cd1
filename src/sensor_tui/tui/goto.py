"""The "go to" dialog (key g): type a date or time, the charts centre on it.

A moment in the future, or outside the stored readings, still moves the charts (to live, or to
an empty span), and says so: a view that silently went live or showed nothing looked like a bug.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from sensor_tui.model.readings import epoch
from sensor_tui.model.when import iso
from sensor_tui.storage import StoreUnavailable
from sensor_tui.storage.readers import HistoryReader

HINT = "UTC: 2014-02-14, 2014-02-14 13:05, 13:05 (today), -2h, now, 1392383100 (epoch s)"


class GoToScreen(ModalScreen[str | None]):
    """One input line; enter moves the charts, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """A prompt, the input, the accepted forms."""
        with Vertical(id="goto-panel"):
            yield Input(placeholder="2014-02-14 13:05", id="goto-input")
            yield Static(HINT, id="goto-hint")

    def on_mount(self) -> None:
        """Title the panel, focus the input."""
        self.query_one("#goto-panel").border_title = "Go to (UTC)"
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the text typed."""
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)


def stored_span(reader: HistoryReader) -> tuple[float | None, float | None]:
    """Epoch seconds of the first and last stored readings (None, None: none, or unreadable);
    closes the reader."""
    try:
        first, last = reader.span()
    except StoreUnavailable:
        return None, None
    finally:
        reader.close()
    return (None if first is None else epoch(first)), (None if last is None else epoch(last))


def where_note(moment: float, now: float, first: float | None, last: float | None) -> str | None:
    """What to tell the operator about where `moment` is, or None when it holds readings."""
    shown = iso(moment)[:19].replace("T", " ")
    if moment > now:
        return f"{shown} UTC is in the future: showing the newest readings (live)."
    if first is None or last is None:
        return "The database holds no readings yet."
    if not first <= moment <= last:
        held = f"{iso(first)[:19].replace('T', ' ')} to {iso(last)[:19].replace('T', ' ')}"
        return f"No readings at {shown} UTC: the database holds {held} UTC."
    return None
