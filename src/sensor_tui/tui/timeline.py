"""Where the charts look in time: live (following now) or a fixed moment, the window, the cursor.

Plain state with no Textual, shared by every chart so they always move together. The
app asks `view(now)` for the span to draw; the keys call the methods below. A view whose end
reaches now turns live again, so panning forward past the newest reading resumes following.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor_tui.storage.series import WINDOWS
from sensor_tui.tui.axes import clock

PAN_SCREEN = 1.0
"""`[` and `]` move by one whole window (one screen)."""
PAN_WHEEL = 0.1
"""A mouse-wheel notch moves a tenth of the window."""


@dataclass(slots=True)
class Timeline:
    """The shared view: window, end (None while live) and cursor (None while off)."""

    window_index: int
    end: float | None = None
    cursor: float | None = None

    @property
    def window(self) -> int:
        """The view's width in seconds."""
        return WINDOWS[self.window_index]

    @property
    def live(self) -> bool:
        """True while the view follows the newest readings."""
        return self.end is None

    def view(self, now: float) -> tuple[float, float]:
        """(since, until) to draw."""
        end = now if self.end is None else self.end
        return end - self.window, end

    def pan(self, screens: float, now: float) -> None:
        """Move by `screens` windows (negative: back in time); reaching now follows live."""
        _, end = self.view(now)
        self._set_end(end + screens * self.window, now)

    def go_to(self, moment: float, now: float) -> None:
        """Centre the view on a moment (a date typed in, an alarm's start)."""
        self._set_end(moment + self.window / 2, now)
        if self.cursor is not None:
            self.cursor = moment

    def follow_live(self) -> None:
        """Back to the newest readings, following them."""
        self.end = None

    def zoom(self, step: int, now: float) -> bool:
        """Widen (+1) or narrow (-1) the window around the view's end; False at the limit."""
        index = min(max(self.window_index + step, 0), len(WINDOWS) - 1)
        if index == self.window_index:
            return False
        self.window_index = index
        if self.cursor is not None:
            since, until = self.view(now)
            self.cursor = min(max(self.cursor, since), until)
        return True

    def toggle_cursor(self, now: float) -> None:
        """Show the cursor in the middle of the view, or hide it."""
        since, until = self.view(now)
        self.cursor = None if self.cursor is not None else (since + until) / 2

    def move_cursor(self, columns: int, width: int, now: float) -> None:
        """Move the cursor by chart columns; past an edge the view pans to keep it in sight."""
        if self.cursor is None:
            self.toggle_cursor(now)
        assert self.cursor is not None
        self.cursor += columns * self.window / max(width, 1)
        since, until = self.view(now)
        if self.cursor < since:
            self._set_end(self.cursor + self.window, now)
        elif self.cursor > until:
            self._set_end(self.cursor, now)
            self.cursor = min(self.cursor, now)

    def _set_end(self, end: float, now: float) -> None:
        self.end = None if end >= now else end


def view_label(since: float, until: float, live: bool) -> str:
    """The span a view shows, for the status line: LIVE or the time being viewed (UTC)."""
    if live:
        return "LIVE"
    return f"{clock(since)} → {clock(until, with_date=clock(since)[:10] != clock(until)[:10])} UTC"
