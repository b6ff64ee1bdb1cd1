"""The anomaly table: the latest anomalous readings, newest first, bounded."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from sensor_tui.model.readings import Reading
from sensor_tui.tui.chart import format_value


@dataclass(frozen=True, slots=True)
class AnomalyRow:
    """One line of the table (a stored anomalous reading)."""

    timestamp: str
    tag: str
    value: float
    kind: str | None
    score: float | None

    @classmethod
    def from_reading(cls, reading: Reading) -> AnomalyRow:
        """From a reading just committed by the pipeline."""
        return cls(reading.timestamp, reading.tag, reading.value, reading.kind, reading.score)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AnomalyRow:
        """From a row of `Store.anomalies`."""
        return cls(row["timestamp"], row["tag"], row["value"], row["kind"], row["score"])

    def cells(self) -> tuple[str | Text, ...]:
        """time (UTC, to the second), tag, value, kind, score."""
        score = "" if self.score is None else f"{self.score:.2f}"  # calibrated, in [0, 1]
        return (
            self.timestamp[11:19],
            Text(self.tag),
            Text(format_value(self.value), justify="right"),
            Text(self.kind or "anomaly", style="bold red"),
            Text(score, justify="right"),
        )


class AnomalyTable(DataTable[Any]):
    """Newest anomaly first; keeps at most `limit` rows so a long shift cannot grow it."""

    def __init__(self, limit: int = 100, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="row", show_cursor=False)
        self.limit = limit
        self.rows_shown: deque[AnomalyRow] = deque(maxlen=limit)
        self._stale = False
        """Rows came while hidden: rebuild when shown."""

    def on_mount(self) -> None:
        """Columns, and a title that says the time zone of the times."""
        self.add_columns("time", "tag", "value", "kind", "score")
        self.border_title = "Anomalies"
        self.border_subtitle = "newest first · UTC"

    def add_anomalies(self, rows: Iterable[AnomalyRow]) -> None:
        """Add anomalies (live or from history, in any order); newest first, each shown once.

        A reading committed while the history was being read arrives both ways; (tag, time)
        identifies it, as UNIQUE(tag, timestamp) does in the database.
        """
        shown = {(row.tag, row.timestamp) for row in self.rows_shown}
        fresh = [row for row in rows if (row.tag, row.timestamp) not in shown]
        if not fresh:
            return
        merged = sorted([*self.rows_shown, *fresh], key=lambda r: r.timestamp, reverse=True)
        self.rows_shown = deque(merged[: self.limit], maxlen=self.limit)
        self._stale = True
        if self.display:
            self._fill()

    def on_show(self) -> None:
        """Shown again (`r`): put in the rows that came while hidden."""
        if self._stale:
            self._fill()

    def _fill(self) -> None:
        """Rebuild the rows from `rows_shown`. Only while shown: the table is hidden behind
        the alarm panel by default, and rebuilding it (a hundred rows measured again) on every
        anomalous reading was a tenth of the monitor's CPU with a sensor flagging."""
        self._stale = False
        self.clear()
        self.add_rows(row.cells() for row in self.rows_shown)
        self.border_title = f"Anomalies ({len(self.rows_shown)})"
