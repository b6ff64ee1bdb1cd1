"""What the alarm pane reads, in its thread workers: each read opens its own read-only reader
(the UI never writes) through the monitor's `open_reader` — the local SQLite file, or the
historian's site — and closes it; a store that cannot be read gives an empty answer (the status
line already says why) rather than an error on screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sensor_tui.alarming import states
from sensor_tui.alarming.report import build_report, report_lines
from sensor_tui.model.alarm_record import AlarmRow, AnyAlarmRow
from sensor_tui.storage import StoreUnavailable
from sensor_tui.storage.readers import HistoryReader

Opener = Callable[[], HistoryReader]
"""Opens a reader for one worker (the monitor's or the historian view's `open_reader`)."""

DETAIL_READINGS = 5000
"""Readings of an alarm's span shown on its detail screen (the newest)."""


def initial_alarms(open_reader: Opener) -> list[AlarmRow]:
    """The panel's rows at start: the latest alarms and every open one."""
    reader = open_reader()
    try:
        rows = {r["id"]: r for r in reader.list_alarms(None, limit=200)}
        rows |= {r["id"]: r for r in reader.list_alarms(states.OPEN_STATES, limit=500)}
    except StoreUnavailable:
        rows = {}
    finally:
        reader.close()
    return list(rows.values())


def alarm_detail(
    open_reader: Opener, row: AnyAlarmRow
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An alarm's journal and the readings of its span."""
    reader = open_reader()
    try:
        entries = reader.journal(row["id"])
        readings = reader.latest(row["tag"], DETAIL_READINGS, row["start"], row["end"])
    except StoreUnavailable:
        entries, readings = [], []
    finally:
        reader.close()
    return entries, readings


def health_lines(open_reader: Opener, since: str) -> tuple[list[str], list[str]]:
    """The health report of the whole database, and since the monitor started."""
    reader = open_reader()
    try:
        whole = report_lines(*build_report(*reader.report_inputs()))
        session = report_lines(*build_report(*reader.report_inputs(since), since))
    except StoreUnavailable as exc:
        whole, session = [f"cannot read the database: {exc}"], []
    finally:
        reader.close()
    return whole, session


def grade_line(open_reader: Opener, since: str) -> str | None:
    """The detector's grade since the monitor started; None when the store cannot be read."""
    reader = open_reader()
    try:
        _, grading = build_report(*reader.report_inputs(since), since)
    except StoreUnavailable:
        return None
    finally:
        reader.close()
    return grading.line()
