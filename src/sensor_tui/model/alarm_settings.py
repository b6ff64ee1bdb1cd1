"""`[alarms]` in the TOML configuration: the notification command and its timeout.

[alarms]
notify = ["/usr/local/bin/page-operator", "--plant", "fermenter"]
notify_timeout = 5.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_NOTIFY_TIMEOUT = 10.0


class AlarmSettingsError(ValueError):
    """`[alarms]` cannot be used; the message names the key (tags.py turns it into ConfigError)."""


@dataclass(frozen=True, slots=True)
class AlarmSettings:
    """Where alarm transitions are sent: a command (argv, no shell) run once per transition."""

    notify: tuple[str, ...] = ()
    notify_timeout: float = DEFAULT_NOTIFY_TIMEOUT


def parse_alarm_settings(table: Any) -> AlarmSettings:
    """From the parsed `[alarms]` table; AlarmSettingsError names what is wrong."""
    if not isinstance(table, dict):
        raise AlarmSettingsError("[alarms] must be a table")
    unknown = set(table) - {"notify", "notify_timeout"}
    if unknown:
        raise AlarmSettingsError(f"[alarms] unknown key(s): {', '.join(sorted(unknown))}")
    notify = table.get("notify", [])
    if not isinstance(notify, list) or not all(isinstance(a, str) and a for a in notify):
        raise AlarmSettingsError('[alarms] notify must be a list of strings, like ["cmd", "arg"]')
    timeout = table.get("notify_timeout", DEFAULT_NOTIFY_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        raise AlarmSettingsError("[alarms] notify_timeout must be seconds, above 0, at most 600")
    return AlarmSettings(tuple(notify), float(timeout))
