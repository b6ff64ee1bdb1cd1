"""The alarm panel: one row per alarm (not per flagged reading), the operator's main table.

Unacknowledged active alarms stand out (reverse red); every kind has its own colour *and* symbol,
so the panel reads without colour too. Rows are keyed by alarm id and updated in place, so a
stuck sensor flagging every second changes one row's duration and peak, never adds rows. The
operator's cursor stays on the alarm it was on and the view does not jump when rows arrive or
leave (a new alarm at the top shows only if the view is already at the top).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from sensor_tui.alarming import states
from sensor_tui.alarming.priority import NAMES as PRIORITY_NAMES
from sensor_tui.alarming.unit_alarms import contributions_text
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
PRIORITY_STYLES = {1: "bold reverse red", 2: "bold red", 3: "yellow", 4: "dim"}
COLUMNS = (
    ("state", "state"),
    ("prio", "prio"),
    ("tag", "tag"),
    ("kind", "kind"),
    ("start", "start (UTC)"),
    ("dur", "duration"),
    ("peak", "peak"),
    ("now", "now"),
    ("unit", "unit"),
    ("src", "src"),
    ("moved", "moved by"),
)
FILTERS: dict[str, tuple[str, ...] | None] = {
    "open": states.OPEN_STATES,
    "all": None,
    "active": states.ACTIVE_STATES,
    "unacknowledged": states.UNACKED_STATES,
    "shelved": (states.SHELVED,),
    "normal": (states.NORMAL,),
}
"""State filters offered by `f`; "open" (anything not normal) is the default."""
MOVED_WIDTH = 30
"""A unit alarm's leading tags and shares ("fermenter_ph 74%, fermenter_temp 20%")."""
KEEP = 500
"""Alarms the panel holds (a shift's worth); older normal ones are let go first."""


def column_widths(units: dict[str, str], value_width: int) -> dict[str, int]:
    """Each column as wide as its widest possible content, known from the configuration.

    Fixed rather than measured: a table that sizes its columns from the rows it holds changes
    its layout as alarms come and go, and (measured when idle) was at times drawn with
    header-wide columns that cut every tag to three letters until the next new row.
    """
    widest = {
        "state": max(
            len(f"{symbol} {states.LABELS.get(state, state)}")
            for state, (symbol, _) in STATE_STYLES.items()
        ),
        "prio": max(len(name) for name in PRIORITY_NAMES.values()),
        "tag": max((len(tag) for tag in units), default=0),
        "kind": max(len(f"{symbol} {kind}") for kind, (symbol, _) in KINDS.items()),
        "start": len("2026-01-15 08:14:59"),
        "dur": len("999h59"),
        "peak": value_width,
        "now": value_width,
        "unit": max((len(unit) for unit in units.values()), default=0),
        "src": len("real"),
        "moved": MOVED_WIDTH,
    }
    return {key: max(widest[key], len(label)) for key, label in COLUMNS}


def kind_text(kind: str) -> Text:
    """The kind with its symbol, in its colour."""
    symbol, (r, g, b) = KINDS.get(kind, KINDS["anomaly"])
    return Text(f"{symbol} {kind}", style=f"rgb({r},{g},{b})")


def origin_label(row: dict[str, Any]) -> str:
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


def _seconds(row: dict[str, Any]) -> float:
    start, end = datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"])
    return (end - start).total_seconds()


def cells(row: dict[str, Any], unit: str, value_now: float | None) -> tuple[Any, ...]:
    """The row's cells in COLUMNS order."""
    symbol, style = STATE_STYLES.get(row["state"], ("?", ""))
    label = states.LABELS.get(row["state"], row["state"])
    peak = row.get("peak_value")
    now = value_now if value_now is not None else row.get("last_value")
    prio = row.get("priority") or 4
    return (
        Text(f"{symbol} {label}", style=style),
        Text(PRIORITY_NAMES.get(prio, str(prio)), style=PRIORITY_STYLES.get(prio, "")),
        row["tag"],
        kind_text(row["kind"]),
        f"{row['start'][:10]} {row['start'][11:19]}",
        Text(duration(_seconds(row)), justify="right"),
        Text("" if peak is None else format_value(peak), justify="right"),
        Text("" if now is None else format_value(now), justify="right"),
        unit,
        origin_label(row),
        contributions_text(row.get("contributions"), top=2),
    )


class AlarmPanel(DataTable[Any]):
    """Alarms newest first, filtered by state and tag; see the module docstring."""

    def __init__(
        self, units: dict[str, str], *, value_width: int = 7, id: str | None = None
    ) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row")
        self.units = units
        self.value_width = value_width
        """Characters of the widest value a tag can report (see `column_widths`)."""
        self.alarms: dict[str, dict[str, Any]] = {}
        """Every alarm held, shown or filtered out, by id."""
        self.state_filter = "open"
        self.tag_filter: str | None = None
        self.values_now: dict[str, float] = {}
        """The latest value of each tag (the app keeps it current)."""
        self._shown: dict[str, tuple[Any, ...]] = {}
        self.grade_line = ""

    def on_mount(self) -> None:
        """Columns (of fixed widths, see `column_widths`) and titles."""
        widths = column_widths(self.units, self.value_width)
        for key, label in COLUMNS:
            self.add_column(label, key=key, width=widths[key])
        self._titles()

    # -- what is shown -----------------------------------------------------------------------

    def shows(self, row: dict[str, Any]) -> bool:
        """True when the row passes the state and tag filters."""
        wanted = FILTERS[self.state_filter]
        return (wanted is None or row["state"] in wanted) and (
            self.tag_filter is None or row["tag"] == self.tag_filter
        )

    @property
    def selected(self) -> dict[str, Any] | None:
        """The alarm under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        return self.alarms.get(key or "")

    def visible_ids(self) -> list[str]:
        """Ids of the rows shown, top to bottom (what `A` acknowledges)."""
        return [str(row.key.value) for row in self.ordered_rows]

    # -- updates -----------------------------------------------------------------------------

    def upsert(self, rows: Iterable[dict[str, Any]]) -> None:
        """Take alarm rows (new or changed); update cells in place, add or drop rows as the
        filters say, and keep the operator's place."""
        structural, place = False, self._place()
        for row in rows:
            self.alarms[row["id"]] = row
            shown = row["id"] in self._shown
            if self.shows(row):
                structural |= not shown
                self._render_row(row, add=not shown)
            elif shown:
                structural = True
                self._drop(row["id"])
        structural |= self._forget_old()
        if structural:
            self._resort(*place)
        self._titles()

    def refilter(self) -> None:
        """Show exactly the held alarms that pass the filters (after `f`)."""
        wanted = {i for i, row in self.alarms.items() if self.shows(row)}
        place = self._place()
        for alarm_id in list(self._shown):
            if alarm_id not in wanted:
                self._drop(alarm_id)
        for alarm_id in wanted - set(self._shown):
            self._render_row(self.alarms[alarm_id], add=True)
        self._resort(*place)
        self._titles()

    def refresh_values(self) -> None:
        """Update the `now` column of shown alarms from `values_now` (on the app's tick)."""
        for alarm_id in self._shown:
            row = self.alarms[alarm_id]
            if row["state"] != states.NORMAL:
                self._render_row(row, add=False)

    def _render_row(self, row: dict[str, Any], add: bool) -> None:
        new = cells(row, self.units.get(row["tag"], ""), self.values_now.get(row["tag"]))
        if add:
            self.add_row(*new, key=row["id"])
        else:
            old = self._shown[row["id"]]
            for (key, _), before, after in zip(COLUMNS, old, new, strict=True):
                if before != after:
                    self.update_cell(row["id"], key, after)
        self._shown[row["id"]] = new

    def _drop(self, alarm_id: str) -> None:
        self.remove_row(alarm_id)
        del self._shown[alarm_id]

    def _forget_old(self) -> bool:
        if len(self.alarms) <= KEEP:
            return False
        by_age = sorted(self.alarms.values(), key=lambda r: (r["state"] != "normal", r["start"]))
        for row in by_age[: len(self.alarms) - KEEP]:
            if row["id"] in self._shown:
                self._drop(row["id"])
            del self.alarms[row["id"]]
        return True

    def _place(self) -> tuple[str | None, str | None]:
        """The alarm under the cursor and the one at the top of the view (None: at the top,
        where new alarms should show), taken before rows come or go."""
        keys = self.visible_ids()
        cursor_key = keys[self.cursor_row] if 0 <= self.cursor_row < len(keys) else None
        top = int(self.scroll_y)
        return cursor_key, keys[top] if 0 < top < len(keys) else None

    def _resort(self, cursor_key: str | None, top_key: str | None) -> None:
        """Newest first, with the cursor on the same alarm and the same rows in view."""
        self.sort("start", reverse=True)
        index = {key: i for i, key in enumerate(self.visible_ids())}
        if cursor_key in index:
            self.move_cursor(row=index[cursor_key], scroll=False)
        if top_key in index:
            target = index[top_key]
            self.call_after_refresh(self.scroll_to, y=target, animate=False, immediate=True)

    def _titles(self) -> None:
        unacked = sum(1 for r in self.alarms.values() if r["state"] in states.UNACKED_STATES)
        where = f" · {self.tag_filter}" if self.tag_filter else ""
        self.border_title = (
            f"Alarms: {self.state_filter}{where} ({len(self._shown)}) · {unacked} unacknowledged"
        )
        self.border_subtitle = self.grade_line or "a ack · A ack all · h shelve · f filter"

    def show_grade(self, line: str) -> None:
        """The detector's live grade under the panel."""
        self.grade_line = line
        self._titles()
