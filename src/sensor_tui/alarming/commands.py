"""Operator commands on alarms, as they travel to the writer thread.

The TUI, HTTP and tests never write an alarm themselves: they submit an `AlarmCommand` through
`Pipeline.alarm_command` and wait on the future it returns, which the writer thread resolves
after the commit (with the alarms as they now are) or fails (unknown id, a command that does not
apply, the database unavailable). One writer, so a command cannot race the episode that is
ending under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sensor_tui.alarming.states import COMMANDS, AlarmCommandError
from sensor_tui.model.readings import format_ts

SHELVE_CHOICES = (300, 900, 3600, 4 * 3600, 8 * 3600, 24 * 3600)
"""Shelving durations offered to the operator, in seconds (5 min to a shift and more)."""
MIN_SHELVE = 1.0
"""Shortest shelving accepted: less is a typo (1e-300 s), not an operator's intent."""
MAX_SHELVE = 7 * 24 * 3600
"""Longest shelving accepted (a week): shelving is not a way to delete an alarm."""


@dataclass(slots=True)
class AlarmCommand:
    """Acknowledge, shelve or unshelve alarms; `strict` fails on an id that does not apply."""

    action: str
    ids: tuple[str, ...]
    actor: str = "operator"
    via: str = "tui"
    until: str | None = None
    strict: bool = True

    def __post_init__(self) -> None:
        if self.action not in COMMANDS:
            raise AlarmCommandError(f"unknown alarm command {self.action!r}")
        if self.action == "shelve" and not self.until:
            raise AlarmCommandError("shelve needs a time to shelve until")


def shelve_until(seconds: float, now: datetime | None = None) -> str:
    """The canonical time a shelving of `seconds` ends; AlarmCommandError when out of range."""
    if not MIN_SHELVE <= seconds <= MAX_SHELVE:  # also false for NaN
        raise AlarmCommandError(f"shelve duration must be 1 s to {MAX_SHELVE // 86400} days")
    return format_ts((now or datetime.now(UTC)) + timedelta(seconds=seconds))


def duration_label(seconds: float) -> str:
    """5 min, 1 h, 24 h: how a duration is offered and printed."""
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"
