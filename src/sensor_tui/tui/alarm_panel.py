"""The alarm panel: one row per alarm (not per flagged reading), the operator's main table.

Unacknowledged active alarms stand out (reverse red); every kind has its own colour *and* symbol,
and the selected row carries a marker, so the panel reads without colour too. Its columns fit
the width it has (see `alarm_columns`): no sideways scrolling. Rows are keyed by alarm id and
updated in place, so a stuck sensor flagging every second changes one row's duration and peak,
never adds rows. The operator's cursor stays on the alarm it was on and the view does not jump
when rows arrive or leave (a new alarm at the top shows only if the view is already at the top).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import events
from textual.coordinate import Coordinate
from textual.markup import escape
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from sensor_tui.alarming import states
from sensor_tui.model.alarm_record import AnyAlarmRow
from sensor_tui.tui.alarm_columns import (
    KINDS,
    Layout,
    cells,
    duration,
    fit_layout,
    full_layout,
    kind_text,
    origin_label,
    start_key,
)

__all__ = ["FILTERS", "KINDS", "AlarmPanel", "duration", "kind_text", "origin_label"]

FILTERS: dict[str, tuple[str, ...] | None] = {
    "open": tuple(s for s in states.OPEN_STATES if s != states.SHELVED),
    "all": None,
    "active": states.ACTIVE_STATES,
    "unacknowledged": states.UNACKED_STATES,
    "shelved": (states.SHELVED,),
    "normal": (states.NORMAL,),
}
"""State filters offered by `f`; "open" (the default) is what needs the operator: anything not
normal and not shelved (a shelved alarm is hidden until its time is up, or `f` shelved)."""
KEEP = 500
"""Alarms the panel holds (a shift's worth); older normal ones are let go first."""


class AlarmPanel(DataTable[Any]):
    """Alarms newest first, filtered by state and tag; see the module docstring."""

    def __init__(
        self, units: dict[str, str], *, value_width: int = 7, id: str | None = None
    ) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row")
        self.units = units
        self.value_width = value_width
        """Characters of the widest value a tag can report (see `alarm_columns.full_layout`)."""
        self.column_layout: Layout = full_layout(units, value_width)
        """The columns shown now (see `alarm_columns`)."""
        self.marked: str | None = None
        """The alarm beside which the marker stands (the cursor's)."""
        self.alarms: dict[str, AnyAlarmRow] = {}
        """Every alarm held, shown or filtered out, by id."""
        self.state_filter = "open"
        self.tag_filter: str | None = None
        self.values_now: dict[str, float] = {}
        """The latest value of each tag (the app keeps it current)."""
        self._shown: dict[str, tuple[Any, ...]] = {}
        self.grade_line = ""
        self._title_text = self._subtitle_text = ""

    def on_mount(self) -> None:
        """Columns (of fixed widths, see `alarm_columns`) and titles."""
        self._add_columns()
        self._titles()

    def _add_columns(self) -> None:
        for key, width in self.column_layout.widths.items():
            self.add_column(self.column_layout.label(key), key=key, width=width)

    def on_resize(self, _: events.Resize) -> None:
        """Fit the columns to the new width (rebuilt only when the layout changes)."""
        available = self.size.width - 1  # the vertical scrollbar, when rows overflow
        layout = fit_layout(self.units, self.value_width, available)
        if layout != self.column_layout:
            self.column_layout = layout
            place = self._place()
            self.clear(columns=True)
            self._shown.clear()
            self._add_columns()
            for row in self.alarms.values():
                if self.shows(row):
                    self._render_row(row, add=True)
            self._resort(*place)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Move the marker to the alarm under the cursor."""
        self._mark(event.row_key.value)

    def _mark(self, new: str | None) -> None:
        old, self.marked = self.marked, new
        if old == new:
            return
        for alarm_id in (old, new):
            if alarm_id in self._shown:
                self._render_row(self.alarms[alarm_id], add=False)

    # -- what is shown -----------------------------------------------------------------------

    def shows(self, row: AnyAlarmRow) -> bool:
        """True when the row passes the state and tag filters."""
        wanted = FILTERS[self.state_filter]
        return (wanted is None or row["state"] in wanted) and (
            self.tag_filter is None or row["tag"] == self.tag_filter
        )

    @property
    def selected(self) -> AnyAlarmRow | None:
        """The alarm under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        return self.alarms.get(key or "")

    def visible_ids(self) -> list[str]:
        """Ids of the rows shown, top to bottom (what `A` acknowledges)."""
        return [str(row.key.value) for row in self.ordered_rows]

    # -- updates -----------------------------------------------------------------------------

    def upsert(self, rows: Iterable[AnyAlarmRow]) -> None:
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

    def _render_row(self, row: AnyAlarmRow, add: bool) -> None:
        unit, now = self.units.get(row["tag"], ""), self.values_now.get(row["tag"])
        new = cells(row, unit, now, self.column_layout, row["id"] == self.marked)
        if add:
            self.add_row(*new, key=row["id"])
        else:
            old = self._shown[row["id"]]
            changed = {
                key: after
                for key, before, after in zip(self.column_layout.widths, old, new, strict=True)
                if before != after
            }
            if changed:
                self._set_cells(RowKey(row["id"]), changed)
        self._shown[row["id"]] = new

    def _set_cells(self, row_key: RowKey, changed: dict[str, Any]) -> None:
        """Put new cell values in one row and repaint that row alone, if it is in view.

        `update_cell` would repaint the whole table: it bumps the table's update count, which
        every render cache is keyed by, and asks for a full refresh, so each alarm update (one
        a second with a few open alarms) re-rendered every visible cell, the largest share of
        the monitor's CPU. The columns are of fixed width, so no widths need recomputing; the
        cached renders of the changed cells and of the row are dropped, and only this row's
        line is marked dirty, so only it is rendered again, from its unchanged cells' renders.
        """
        columns = {ColumnKey(key) for key in changed}
        cells_now = self._data[row_key]
        for key, value in changed.items():
            cells_now[ColumnKey(key)] = value
        cell_cache, row_cache = self._cell_render_cache, self._row_render_cache
        cell_keys, row_keys = list(cell_cache.keys()), list(row_cache.keys())  # LRU, no iter
        for cell_key in [k for k in cell_keys if k[0] == row_key and k[1] in columns]:
            cell_cache.discard(cell_key)
        for row_cache_key in [k for k in row_keys if k[0] == row_key]:
            row_cache.discard(row_cache_key)
        self._row_renderable_cache.clear()  # by row index: cheap to make again
        self._line_cache.clear()  # by screen line: only dirty lines are asked for
        self.refresh_row(self.get_row_index(row_key))

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
        self.sort("start", key=start_key, reverse=True)
        index = {key: i for i, key in enumerate(self.visible_ids())}
        if cursor_key in index:
            self.move_cursor(row=index[cursor_key], scroll=False)
        else:  # the cursor's alarm left: the marker goes to the row the cursor is on now
            keys = self.visible_ids()
            self._mark(keys[self.cursor_row] if 0 <= self.cursor_row < len(keys) else None)
        if top_key in index:
            target = index[top_key]
            self.call_after_refresh(self.scroll_to, y=target, animate=False, immediate=True)

    def _titles(self) -> None:
        unacked = sum(1 for r in self.alarms.values() if r["state"] in states.UNACKED_STATES)
        where = f" · {escape(self.tag_filter)}" if self.tag_filter else ""
        shown = len(self._shown)
        title = f"Alarms: {self.state_filter}{where} ({shown}) · {unacked} unacknowledged"
        subtitle = escape(self.grade_line) or "a ack · A ack all · h shelve · f filter"
        # setting a border title repaints the whole table even when the text is the same
        if title != self._title_text:
            self._title_text = self.border_title = title
        if subtitle != self._subtitle_text:
            self._subtitle_text = self.border_subtitle = subtitle

    def show_grade(self, line: str) -> None:
        """The detector's live grade under the panel."""
        self.grade_line = line
        self._titles()
