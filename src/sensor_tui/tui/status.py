"""The status line: what the monitor is doing and whether the pipeline is healthy."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from textual.widgets import Static

from sensor_tui.counters import Snapshot, SourceState
from sensor_tui.series import window_label


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
    """LIVE, FROZEN or the span being viewed (issue 12)."""
    cursor: str | None = None
    """The cursor's time and every tag's value there, when the cursor is on."""
    unstored: int = 0
    """Readings charted but not committed yet (a database outage)."""
    rate: float | None = None
    """Readings arriving per second, stored or not (None: the pipeline's stored rate)."""


def _badge(state: MonitorState, snap: Snapshot) -> str:
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
    else:  # --no-sim without --http or a source: say so rather than claim a server (issue 10)
        badge = "[b reverse $warning] ○ NO INPUT [/]"
    if state.frozen:
        badge += f" [b reverse $accent] ❄ FROZEN +{state.frozen_count:,} [/]"
    elif state.view == "LIVE":
        badge += " view [b]LIVE[/]"
    else:
        badge += f" [b reverse $accent] ◀ {escape(state.view)} [/] +{state.frozen_count:,} new"
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
    """One network source (MQTT broker, OPC UA server): name and state; errors in /health."""
    template = _SOURCE_STYLE.get(source.state, "{name} " + escape(source.state))
    return template.format(name=escape(source.name))


def _dead_letter(snap: Snapshot) -> str:
    """Lines waiting in the dead-letter file; an unreadable file is not "0" (issue 10)."""
    if snap.dead_letter_error:
        return "dead letter [b reverse $error] UNREADABLE [/]"
    dead = f"{snap.dead_letter_pending:,}"
    return f"dead letter [b $error]{dead}[/]" if snap.dead_letter_pending else f"dead letter {dead}"


def status_markup(state: MonitorState, snap: Snapshot) -> str:
    """Two lines of markup: activity and counts, then pipeline health and where data goes."""
    rate = snap.rate if state.rate is None else state.rate
    fields1 = [
        _badge(state, snap),
        f"window [b]{window_label(state.window)}[/]",
        f"[b]{rate:.1f}[/]/s",
        f"stored [b]{snap.stored:,}[/]",
        f"anomalies this run [b $error]{snap.anomalies_total:,}[/]",
        f"rejected [b]{snap.rejected_total:,}[/]",
    ]
    if state.cursor:
        fields1[2:] = [f"[b]⌖ {escape(state.cursor)}[/]"]
    line1 = SEPARATOR.join(fields1)
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
    return f"{line1}\n{SEPARATOR.join(fields)}"


class StatusBar(Static):
    """Two lines at the bottom; re-rendered only when the text changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=True)
        self._shown = ""

    def show(self, state: MonitorState, snap: Snapshot) -> None:
        """Update from the app state and a counters snapshot."""
        markup = status_markup(state, snap)
        if markup != self._shown:
            self._shown = markup
            self.update(markup, layout=False)  # fixed size: no need to lay out the screen

    @property
    def text(self) -> str:
        """The markup last shown (tests read it)."""
        return self._shown
