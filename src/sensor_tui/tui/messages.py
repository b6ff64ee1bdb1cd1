"""Every message of the monitor's UI: small past-tense events, and the requests widgets make.

Threads never touch widgets; they post one of these (post_message is thread-safe) and the UI
thread does the rest. Widgets tell the app what they need the same way ("attributes down,
messages up"): the alarm pane asks for an alarm's span on the charts, and the app routes it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from sensor_tui.model.alarm_record import AlarmRow, AnyAlarmRow


@dataclass
class ReadingsStored(Message):
    """Readings were committed and wait in the app's inbox.

    Carries no readings on purpose: the writer posts it only when the inbox turns non-empty, so a
    burst of commits costs the UI one message and one drain, not one per batch.
    """


@dataclass
class HistoryLoaded(Message):
    """Stored readings for [since, each tag's until) were read from SQLite by a worker."""

    since: float
    series: dict[str, tuple[array[float], array[float], array[int]]]
    anomalies: list[dict[str, Any]] = field(default_factory=list)
    """Recent anomalous readings (newest last), only on the first load."""
    error: str | None = None


@dataclass
class ViewLoaded(Message):
    """Every tag's stored view of `span` was read from SQLite by a worker."""

    span: tuple[float, float]
    views: dict[str, Any]
    """Tag -> `series.StoredView`."""
    error: str | None = None


@dataclass
class AlarmsChanged(Message):
    """Alarm changes wait in the alarm pane's inbox (posted once per burst)."""


@dataclass
class AlarmsLoaded(Message):
    """Alarm rows read from SQLite (at start)."""

    rows: list[AlarmRow]


@dataclass
class AlarmDetailLoaded(Message):
    """An alarm's journal and readings, read for the detail screen."""

    row: AnyAlarmRow
    entries: list[dict[str, Any]] = field(default_factory=list)
    readings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class HealthLoaded(Message):
    """The health report, whole database and since the monitor started."""

    lines: list[str]
    session: list[str]


@dataclass
class GradeLoaded(Message):
    """The detector's grade since the monitor started."""

    line: str


Span = tuple[float, float, tuple[int, int, int]]
"""An alarm's (start, end, colour) on its tag's chart (epoch seconds, RGB)."""


@dataclass
class SpanRequested(Message):
    """Move the charts to [start, end] of a tag (epoch seconds): Enter on an alarm."""

    tag: str
    start: float
    end: float


@dataclass
class AlarmSpansChanged(Message):
    """The alarm spans to draw on these tags' charts changed (every span of each tag)."""

    spans: dict[str, list[Span]]
    redraw: bool = False
    """Draw at once (the first load, which may land after the history was drawn), not at the
    next replot."""


@dataclass
class UnitScoresLoaded(Message):
    """Each unit's statistics in the view, read from SQLite."""

    points: dict[str, Any]
    """Unit -> `unit_chart.Points`."""
    since: float
    until: float


@dataclass
class ChartsMoved(Message):
    """The charts' view, cursor or freeze changed: the status line says so."""


@dataclass
class ChartsExpanded(Message):
    """The selected chart was expanded to the whole screen, or all charts shown again."""

    expanded: bool
