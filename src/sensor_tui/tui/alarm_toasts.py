"""New alarms as toasts: one per alarm, never one per reading, and never a wall of them.

The alarm pane calls `toast_alarms` with the alarms a burst of commits raised; the panel holds
every row, so a flood is summed up in one toast rather than burying the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sensor_tui.alarming.priority import HIGH, LOW
from sensor_tui.alarming.priority import NAMES as PRIORITY_NAMES
from sensor_tui.tui.chart import format_value

TOASTS = 3
"""New alarms toasted one by one in one burst; more are summed up in one toast."""


def alarm_message(row: dict[str, Any], unit: str) -> str:
    """A new alarm in one line: tag, kind, the value that raised it."""
    kind = (row.get("kind") or "anomaly").replace("_", " ")
    value = row.get("peak_value")
    shown = "" if value is None else f" at {format_value(value)} {unit}".rstrip()
    return f"{row['tag']}: {kind}{shown}"


def toast_alarms(
    notify: Callable[..., Any], new: list[dict[str, Any]], units: dict[str, str]
) -> None:
    """One toast per new alarm, at most `TOASTS` per burst, then one that sums up the rest."""
    for row in new[:TOASTS]:
        prio = row.get("priority") or LOW
        notify(
            alarm_message(row, units.get(row["tag"], "")),
            title=f"Alarm: {PRIORITY_NAMES[prio]}",
            severity="error" if prio <= HIGH else "warning",
            markup=False,  # tag and unit are the user's text, not markup
        )
    more = len(new) - TOASTS
    if more > 0:
        notify(
            f"and {more} more new alarm{'s' if more > 1 else ''}: see the alarm panel",
            title="Alarm flood",
            severity="error",
        )
