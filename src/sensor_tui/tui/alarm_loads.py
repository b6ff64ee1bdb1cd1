"""What the alarm pane reads from SQLite, in its thread workers: each read opens its own
read-only `Reader` (the UI never writes) and closes it, and a store that cannot be read gives
an empty answer (the status line already says why) rather than an error on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sensor_tui.alarming import states
from sensor_tui.alarming.report import build_report, report_lines
from sensor_tui.storage import Reader, StoreUnavailable
from sensor_tui.storage.alarm_reads import journal, list_alarms, report_inputs

DETAIL_READINGS = 5000
"""Readings of an alarm's span shown on its detail screen (the newest)."""


def initial_alarms(db_path: Path) -> list[dict[str, Any]]:
    """The panel's rows at start: the latest alarms and every open one."""
    reader = Reader(db_path)
    try:
        rows = {r["id"]: r for r in list_alarms(reader, None, limit=200)}
        rows |= {r["id"]: r for r in list_alarms(reader, states.OPEN_STATES, limit=500)}
    except StoreUnavailable:
        rows = {}
    finally:
        reader.close()
    return list(rows.values())


def alarm_detail(
    db_path: Path, row: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An alarm's journal and the readings of its span."""
    reader = Reader(db_path)
    try:
        entries = journal(reader, row["id"])
        readings = reader.latest(row["tag"], DETAIL_READINGS, row["start"], row["end"])
    except StoreUnavailable:
        entries, readings = [], []
    finally:
        reader.close()
    return entries, readings


def health_lines(db_path: Path, since: str) -> tuple[list[str], list[str]]:
    """The health report of the whole database, and since the monitor started."""
    reader = Reader(db_path)
    try:
        whole = report_lines(*build_report(*report_inputs(reader)))
        session = report_lines(*build_report(*report_inputs(reader, since), since))
    except StoreUnavailable as exc:
        whole, session = [f"cannot read the database: {exc}"], []
    finally:
        reader.close()
    return whole, session


def grade_line(db_path: Path, since: str) -> str | None:
    """The detector's grade since the monitor started; None when the store cannot be read."""
    reader = Reader(db_path)
    try:
        _, grading = build_report(*report_inputs(reader, since), since)
    except StoreUnavailable:
        return None
    finally:
        reader.close()
    return grading.line()
