"""`sensor-tui alarms report`, the health screen and the status line's grade, from one place."""

from __future__ import annotations

import time
from typing import Any

from sensor_tui.alarming.grading import Fault, Grade, grade
from sensor_tui.alarming.health import AlarmFacts, Health, health
from sensor_tui.storage import Reader
from sensor_tui.storage.alarm_reads import fault_events, report_rows


def build_report(
    reader: Reader, since: str | None = None, now: float | None = None
) -> tuple[Health, Grade]:
    """KPIs and the detector's grade for alarms (and faults) starting at or after `since`."""
    moment = time.time() if now is None else now
    alarms = [AlarmFacts.from_row(row) for row in report_rows(reader, since)]
    faults = [Fault.from_row(row) for row in fault_events(reader, since)]
    return health(alarms, moment), grade(alarms, faults, moment)


def report_dict(kpis: Health, grading: Grade) -> dict[str, Any]:
    """What `alarms report --json` prints."""
    return {"health": kpis.as_dict(), "detector": grading.as_dict()}
