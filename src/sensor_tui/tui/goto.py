"""The "go to" dialog (key g): type a date or time, the charts centre on it (issue 12)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

HINT = "UTC: 2014-02-14, 2014-02-14 13:05, 13:05 (today), -2h, now"


class GoToScreen(ModalScreen[str | None]):
    """One input line; enter moves the charts, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        """A prompt, the input, the accepted forms."""
        with Vertical(id="goto-panel"):
            yield Input(placeholder="2014-02-14 13:05", id="goto-input")
            yield Static(
                "UTC: 2014-02-14, 2014-02-14 13:05, 13:05 (today), -2h, now", id="goto-hint"
            )

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
