"""What the charts read, in the charts pane's thread workers.

Each read opens its own read-only reader (the UI never writes) through the monitor's
`open_reader` — the local SQLite file, or the historian's site — and answers with the message the
pane posts to itself, carrying the error text when the store could not be read, so the UI thread
decides what to show.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sensor_tui.model.tags import Tag
from sensor_tui.model.when import iso
from sensor_tui.storage import Reader, StoreUnavailable
from sensor_tui.storage.readers import HistoryReader
from sensor_tui.storage.series import StoredView, load_view, read_history, window_label
from sensor_tui.storage.units import load_scores
from sensor_tui.tui.messages import HistoryLoaded, UnitScoresLoaded, ViewLoaded
from sensor_tui.tui.unit_chart import Points

Opener = Callable[[], HistoryReader]
"""Opens a reader for one worker (the monitor's or the historian view's `open_reader`)."""

MAX_UNIT_POINTS = 20_000
"""Newest unit statistics read for a view (a column of the chart holds many at long windows)."""


def read_views(open_reader: Opener, tags: list[Tag], span: tuple[float, float]) -> ViewLoaded:
    """Every tag's stored view of `span` (raw readings up to an hour, rollups beyond)."""
    views: dict[str, StoredView] = {}
    error = None
    reader = open_reader()
    try:
        for tag in tags:
            views[tag.name] = load_view(reader, tag.name, *span, tag.normal)
    except StoreUnavailable as exc:
        error = str(exc)
    finally:
        reader.close()
    return ViewLoaded(span, views, error)


def read_live_history(
    open_reader: Opener, since: float, until: dict[str, float | None], anomalies: int
) -> HistoryLoaded:
    """Stored readings for the live series from `since` to each tag's `until`, and (when
    `anomalies` > 0, the first time) the latest anomalous readings for the table."""
    series: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    error = None
    reader = open_reader()
    try:
        for tag, end in until.items():
            series[tag] = read_history(reader, tag, since, end)
        if anomalies:
            rows = reader.anomalies(limit=anomalies)
    except StoreUnavailable as exc:
        error = str(exc)
    finally:
        reader.close()
    return HistoryLoaded(since, series, rows, error)


def read_unit_scores(
    reader: Reader, units: list[str], since: float, until: float
) -> UnitScoresLoaded | None:
    """Each unit's statistics in the view; None when the store cannot be read (the next tick
    tries again, and the status line says why writes fail)."""
    points: dict[str, Points] = {}
    try:
        conn = reader.connection().conn
        for name in units:
            points[name] = load_scores(conn, name, iso(since), iso(until), MAX_UNIT_POINTS)
    except (StoreUnavailable, OSError, sqlite3.Error):
        return None
    return UnitScoresLoaded(points, since, until)


def export_view(
    db_path: str | Path, path: Path, tags: list[str], since: float, until: float, site: str | None
) -> tuple[bool, str]:
    """Write the view's readings to a CSV file: (written, the toast's text)."""
    from sensor_tui.storage.export import ExportRefused, export_file  # only when exporting

    try:
        count = export_file(db_path, path, tags, since, until + 1e-6, site=site, force=True)
    except (StoreUnavailable, ExportRefused, OSError) as exc:
        return False, str(exc)
    return True, f"{count:,} readings of {len(tags)} tags to {path}"


def export_path(since: float, until: float) -> Path:
    """Where `x` writes the view: the working directory, named by its start and window."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(since))
    return Path(f"sensor-tui-export-{stamp}-{window_label(until - since)}.csv").absolute()
