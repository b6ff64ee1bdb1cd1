"""The status line: what the monitor is doing and whether the pipeline is healthy.

Each line is fitted to the terminal's width rather than cut at its end: when the full line does
not fit (a 120-column terminal, panned back, with the cursor's values), it gives up its least
needed fields first, and the cursor's values drop their tag names for units
(`08:14:59 37.1°C 7.05pH 450rpm`), so what is shown is whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rich.markup import escape
from textual.content import Content
from textual.widgets import Static

from sensor_tui.model.counters import Snapshot, SourceState
from sensor_tui.storage.series import window_label


@dataclass(frozen=True, slots=True)
class MonitorState:
    """The app's side of the status line (the pipeline's side is its `Snapshot`)."""

    simulator: bool
    paused: bool
    frozen: bool
    frozen_count: int
    window: float
    db_path: str
    http_url: str | None = None
    flushing: bool = False
    simulator_error: str | None = None
    """Why the simulator's last tick failed (it keeps trying); None while it works."""
    view: str = "LIVE"
    """LIVE, FROZEN or the span being viewed."""
    cursor: str | None = None
    """The cursor's time and every tag's value there, when the cursor is on."""
    cursor_compact: str | None = None
    """The same, shorter: values with their units, without tag names (for narrow lines)."""
    unstored: int = 0
    """Readings charted but not committed yet (a database outage)."""
    rate: float | None = None
    """Readings arriving per second, stored or not (None: the pipeline's stored rate)."""


def _badge(state: MonitorState, snap: Snapshot, form: str = "full") -> str:
    """What runs and what is viewed; `short` drops the counts, `min` the span's times."""
    if state.flushing:
        return "[b reverse $warning] FLUSHING… [/]"
    if state.simulator_error:
        badge = "[b reverse $error] ✖ SIMULATOR FAILED [/]"
    elif state.paused:
        badge = "[b reverse $warning] ❚❚ PAUSED [/]"
    elif state.simulator:
        badge = "[b reverse $success] ● RUNNING [/]"
    elif snap.sources:
        badge = "[b reverse $success] ● LIVE [/]"
    elif state.http_url:
        badge = "[b reverse $success] ● HTTP ONLY [/]"
    else:  # --no-sim without --http or a source: say so rather than claim a server
        badge = "[b reverse $warning] ○ NO INPUT [/]"
    if state.frozen:
        frozen = "❄" if form == "min" else f"❄ FROZEN +{state.frozen_count:,}"
        badge += f" [b reverse $accent] {frozen} [/]"
    elif state.view == "LIVE":
        badge += " view [b]LIVE[/]" if form == "full" else ""
    else:
        view = "" if form == "min" else f" {escape(state.view)}"
        badge += f" [b reverse $accent] ◀{view} [/]"
        badge += f" +{state.frozen_count:,} new" if form == "full" else ""
    return badge


SEPARATOR = " [dim]│[/] "

_SOURCE_STYLE = {
    "connected": "[b $success]{name} ●[/]",
    "connecting": "[b $warning]{name} …[/]",
    "reconnecting": "[b $warning]{name} ⟳ reconnecting[/]",
    "error": "[b reverse $error] {name} ERROR [/]",
    "stopped": "[dim]{name} stopped[/]",
}


def _source_field(source: SourceState) -> str:
    """One network source (MQTT broker, OPC UA server): name, state and its short reason
    (`auth refused`, `server down 12 s`); the full error text is in /health."""
    template = _SOURCE_STYLE.get(source.state, "{name} " + escape(source.state))
    reason = escape(source.short_reason())
    if reason and source.state == "reconnecting":  # the reason says more than the state
        return f"[b $warning]{escape(source.name)} ⟳ {reason}[/]"
    field = template.format(name=escape(source.name))
    return f"{field} [b $warning]{reason}[/]" if reason else field


def _dead_letter(snap: Snapshot) -> str:
    """Lines waiting in the dead-letter file; an unreadable file is not "0"."""
    if snap.dead_letter_error:
        return "dead letter [b reverse $error] UNREADABLE [/]"
    dead = f"{snap.dead_letter_pending:,}"
    return f"dead letter [b $error]{dead}[/]" if snap.dead_letter_pending else f"dead letter {dead}"


@lru_cache(maxsize=512)
def plain_width(markup: str) -> int:
    """Cells the markup takes on screen (remembered: every tick asks for the same few
    candidate lines, and parsing markup was most of the status line's cost)."""
    return Content.from_markup(markup).cell_length


def fit(candidates: list[list[str]], width: int | None) -> str:
    """The first candidate line (fullest first) that fits `width`; the last one otherwise."""
    line = ""
    for fields in candidates:
        line = SEPARATOR.join(fields)
        if width is None or plain_width(line) <= width:
            return line
    return line


def _first_line(state: MonitorState, snap: Snapshot, width: int | None) -> str:
    rate = snap.rate if state.rate is None else state.rate
    badge, short, least = (_badge(state, snap, form) for form in ("full", "short", "min"))
    window = f"window [b]{window_label(state.window)}[/]"
    if state.cursor:
        cursor = f"[b]⌖ {escape(state.cursor)}[/]"
        compact = f"[b]⌖ {escape(state.cursor_compact or state.cursor)}[/]"
        candidates = [[badge, window, cursor], [badge, cursor], [badge, compact]]
        return fit([*candidates, [short, compact], [least, compact]], width)
    counts = [
        f"[b]{rate:.1f}[/]/s",
        f"stored [b]{snap.stored:,}[/]",
        f"anomalies this run [b $error]{snap.anomalies_total:,}[/]",
        f"rejected [b]{snap.rejected_total:,}[/]",
    ]
    full = [badge, window, *counts]
    return fit([full[:n] for n in range(len(full), 1, -1)] + [[short, window]], width)


def _second_line(state: MonitorState, snap: Snapshot, width: int | None) -> str:
    retry = f"[b $warning]{snap.retry_depth:,}[/]" if snap.retry_depth else "0"
    outage = f"[b reverse $error] DB OUTAGE [/] [b $error]{escape(snap.outage_reason)}[/]"
    fields = [
        outage if snap.outage else "[b $success]db ok[/]",
        f"retry queue {retry}",
        _dead_letter(snap),
    ]
    if state.unstored:
        fields.insert(1, f"[b reverse $warning] {state.unstored:,} not stored yet [/]")
    if state.simulator_error:
        fields.append(f"[b $error]{escape(state.simulator_error)}[/]")
    fields += [_source_field(source) for source in snap.sources]
    if snap.forwarding:
        style = "$success" if snap.forward_up and not snap.forward_backlog else "$warning"
        fields.append(f"[b {style}]{escape(snap.forward_text)}[/]")
    if state.http_url:
        fields.append(f"[b]{escape(state.http_url)}[/]")
    fields.append(f"[dim]{escape(state.db_path)}[/]")
    return fit([fields[:n] for n in range(len(fields), 0, -1)], width)


def status_markup(state: MonitorState, snap: Snapshot, width: int | None = None) -> str:
    """Two lines of markup: activity and counts, then pipeline health and where data goes;
    each fitted to `width` cells when given (see the module docstring)."""
    return f"{_first_line(state, snap, width)}\n{_second_line(state, snap, width)}"


class StatusBar(Static):
    """Two lines at the bottom; re-rendered only when the text changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=True)
        self._shown = ""
        self._last: tuple[MonitorState, Snapshot] | None = None
        self._width: int | None = None

    def on_resize(self) -> None:
        """Fit the last state to the new width (a paused or replayed app has no tick)."""
        if self._last is not None:
            self.show(*self._last)  # the width changed, so this is not skipped

    def show(self, state: MonitorState, snap: Snapshot) -> None:
        """Update from the app state and a counters snapshot."""
        width = self.content_region.width or None  # None before the first layout
        if self._last == (state, snap) and width == self._width:
            return  # nothing new since the last tick
        self._last, self._width = (state, snap), width
        markup = status_markup(state, snap, width)
        if markup != self._shown:
            self._shown = markup
            self.update(markup, layout=False)  # fixed size: no need to lay out the screen

    @property
    def text(self) -> str:
        """The markup last shown (tests read it)."""
        return self._shown
