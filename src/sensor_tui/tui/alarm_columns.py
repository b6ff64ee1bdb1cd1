"""The alarm panel's columns: which ones, how wide, in which form, for the width there is.

At full width the panel shows eleven columns, the last one a unit alarm's leading tags. A narrower
panel (60 or 80 columns, a long tag name at 120) gives up detail in a fixed order rather than
scrolling sideways: the leading tags (the detail view lists them), the date of the start, then
the unit, then the seconds' date entirely, the long state labels, the value now, the origin, the
priority, the duration, and last the kind's name (its symbol stays). What never goes: the marker
of the selected row, the state's symbol, the tag, the start time and the peak.

Widths are known from the configuration, never measured from the rows (a table that sizes its
columns from what it holds changes its layout as alarms come and go). Every cell is `Text`, never
a `str`: a DataTable reads a `str` as markup, and tag names and units are the user's text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from rich.text import Text

from sensor_tui.alarming import states
from sensor_tui.alarming.priority import NAMES as PRIORITY_NAMES
from sensor_tui.alarming.unit_alarms import contributions_text
from sensor_tui.model.alarm_record import AnyAlarmRow
from sensor_tui.tui.chart import format_value

KINDS: dict[str, tuple[str, tuple[int, int, int]]] = {
    # kind: (symbol, colour); symbols differ in shape, so the panel works without colour.
    "spike": ("▲", (255, 85, 85)),
    "step": ("■", (210, 110, 255)),
    "drift": ("◢", (240, 200, 60)),
    "stuck": ("═", (60, 210, 220)),
    "noise": ("≈", (255, 150, 40)),
    "out_of_band": ("◆", (255, 40, 120)),
    "relation": ("⋈", (120, 200, 255)),
    "shift": ("⇶", (120, 160, 255)),
    "anomaly": ("●", (220, 220, 220)),
}
STATE_STYLES = {
    states.UNACK: ("!", "bold reverse red"),
    states.ACKED: ("✓", "bold red"),
    states.RTN_UNACK: ("↩", "bold yellow"),
    states.SHELVED: ("⏸", "blue"),
    states.NORMAL: ("·", "dim green"),
}
SHORT_STATES = {
    states.UNACK: "UNACK",
    states.ACKED: "ACK",
    states.RTN_UNACK: "RTN",
    states.SHELVED: "SHELF",
    states.NORMAL: "OK",
}
"""State labels when the panel is narrow (the symbol still tells them apart)."""
PRIORITY_STYLES = {1: "bold reverse red", 2: "bold red", 3: "yellow", 4: "dim"}
LABELS = {
    "mark": "",
    "state": "state",
    "prio": "prio",
    "tag": "tag",
    "kind": "kind",
    "start": "start (UTC)",
    "dur": "duration",
    "peak": "peak",
    "now": "now",
    "unit": "unit",
    "src": "src",
    "moved": "moved by",
}
"""Every column, in display order, with its header."""
MOVED_WIDTH = 30
"""A unit alarm's leading tags and their shares ("fermenter_ph 74%, fermenter_temp 20%"); the
detail view (enter) lists every tag."""
MARK = "▶"
"""Beside the selected alarm: the row is marked without colour too (NO_COLOR, a monochrome
terminal), where the cursor's highlight alone would not show."""
PADDING = 2
"""A DataTable cell's padding (one space each side)."""
START_FORMS = {"full": 19, "short": 14, "time": 8}
"""2026-01-15 08:14:59, 01-15 08:14:59, 08:14:59."""
NARROWING = (
    ("drop", "moved"),
    ("start", "short"),
    ("drop", "unit"),
    ("start", "time"),
    ("state", "short"),
    ("drop", "now"),
    ("drop", "src"),
    ("drop", "prio"),
    ("drop", "dur"),
    ("state", "symbol"),
    ("kind", "symbol"),
)
"""What the panel gives up, in order, until its columns fit."""
MIN_TAG = 6


@dataclass(frozen=True)
class Layout:
    """The columns shown and the form of the ones that have several."""

    widths: dict[str, int]
    """Shown columns, in display order, and their widths."""
    start: str = "full"
    state: str = "full"
    kind: str = "full"

    def total(self) -> int:
        """Characters the columns take, padding included."""
        return sum(width + PADDING for width in self.widths.values())

    def narrower(self, step: tuple[str, str]) -> Layout:
        """This layout with one more thing given up (see NARROWING)."""
        what, how = step
        widths = dict(self.widths)
        if what == "drop":
            widths.pop(how, None)
            return replace(self, widths=widths)
        if what == "start":
            widths["start"] = START_FORMS[how]
        elif what == "state":
            widths["state"] = _state_width(how)
        elif what == "kind":
            widths["kind"] = 1
        return replace(self, widths=widths, **{what: how})

    def label(self, key: str) -> str:
        """The column's header, shortened when the column is narrower than its full header."""
        label = LABELS[key]
        return label if len(label) <= self.widths[key] else SHORT_LABELS[key]


SHORT_LABELS = {"start": "start", "state": "", "kind": ""}
"""Headers of the columns that can narrow below their full header."""


def _state_width(form: str) -> int:
    if form == "symbol":
        return 1
    names = states.LABELS if form == "full" else SHORT_STATES
    widest = max(len(f"{symbol} {names.get(s, s)}") for s, (symbol, _) in STATE_STYLES.items())
    return max(widest, len(LABELS["state"]))


def full_layout(units: dict[str, str], value_width: int) -> Layout:
    """Every column, each as wide as its widest possible content (from the configuration)."""
    widest = {
        "mark": 1,
        "state": _state_width("full"),
        "prio": max(len(name) for name in PRIORITY_NAMES.values()),
        "tag": max((len(tag) for tag in units), default=0),
        "kind": max(len(f"{symbol} {kind}") for kind, (symbol, _) in KINDS.items()),
        "start": START_FORMS["full"],
        "dur": len("999h59"),
        "peak": value_width,
        "now": value_width,
        "unit": max((len(unit) for unit in units.values()), default=0),
        "src": len("real"),
        "moved": MOVED_WIDTH,
    }
    return Layout({key: max(widest[key], len(label)) for key, label in LABELS.items()})


def fit_layout(units: dict[str, str], value_width: int, available: int) -> Layout:
    """The fullest layout that fits `available` characters; the tag is cut only when even the
    narrowest layout does not fit."""
    layout = full_layout(units, value_width)
    for step in NARROWING:
        if layout.total() <= available:
            return layout
        layout = layout.narrower(step)
    excess = layout.total() - available
    if excess > 0:
        widths = dict(layout.widths)
        widths["tag"] = max(MIN_TAG, widths["tag"] - excess)
        layout = replace(layout, widths=widths)
    return layout


class StartCell(Text):
    """The start column's cell: shown in the layout's form, sorted by the whole timestamp
    (08:14:59 of today and of yesterday must not sort as equals)."""

    def __init__(self, shown: str, stamp: str) -> None:
        super().__init__(shown)
        self.stamp = stamp


def start_key(cell: object) -> str:
    """The sort key of a start cell (newest first is a reverse sort on it)."""
    return cell.stamp if isinstance(cell, StartCell) else str(cell)


def kind_text(kind: str, symbol_only: bool = False) -> Text:
    """The kind with its symbol, in its colour."""
    symbol, (r, g, b) = KINDS.get(kind, KINDS["anomaly"])
    return Text(symbol if symbol_only else f"{symbol} {kind}", style=f"rgb({r},{g},{b})")


def origin_label(row: AnyAlarmRow) -> str:
    """inj: a fault injected by the operator; rnd: a random simulator spike; sim: simulated
    readings with no fault behind them (a false alarm); real: readings from HTTP or an import."""
    if row.get("origin") == "injected":
        return "inj"
    if row.get("origin") == "random":
        return "rnd"
    return "sim" if row.get("source") == "sim" else "real"


def duration(seconds: float) -> str:
    """1:05 (minutes and seconds) or 2h03 for long ones."""
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def _seconds(row: AnyAlarmRow) -> float:
    start, end = datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"])
    return (end - start).total_seconds()


def _start(stamp: str, form: str) -> str:
    if form == "time":
        return stamp[11:19]
    return f"{stamp[5 if form == 'short' else 0 : 10]} {stamp[11:19]}"


def _state(state: str, form: str) -> Text:
    symbol, style = STATE_STYLES.get(state, ("?", ""))
    if form == "symbol":
        return Text(symbol, style=style)
    label = (states.LABELS if form == "full" else SHORT_STATES).get(state, state)
    return Text(f"{symbol} {label}", style=style)


def cells(
    row: AnyAlarmRow, unit: str, value_now: float | None, layout: Layout, marked: bool
) -> tuple[Text, ...]:
    """The row's cells for the layout's columns, in order."""
    peak = row.get("peak_value")
    now = value_now if value_now is not None else row.get("last_value")
    prio = row.get("priority") or 4
    every = {
        "mark": lambda: Text(MARK if marked else "", style="bold"),
        "state": lambda: _state(row["state"], layout.state),
        "prio": lambda: Text(PRIORITY_NAMES.get(prio, str(prio)), PRIORITY_STYLES.get(prio, "")),
        "tag": lambda: Text(row["tag"], overflow="ellipsis", no_wrap=True),
        "kind": lambda: kind_text(row["kind"], layout.kind == "symbol"),
        "start": lambda: StartCell(_start(row["start"], layout.start), row["start"]),
        "dur": lambda: Text(duration(_seconds(row)), justify="right"),
        "peak": lambda: Text("" if peak is None else format_value(peak), justify="right"),
        "now": lambda: Text("" if now is None else format_value(now), justify="right"),
        "unit": lambda: Text(unit),
        "src": lambda: Text(origin_label(row)),
        "moved": lambda: Text(
            contributions_text(row.get("contributions"), top=2), overflow="ellipsis", no_wrap=True
        ),
    }
    return tuple(every[key]() for key in layout.widths)
