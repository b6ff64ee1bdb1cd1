"""Moments typed by a person: the charts' "go to" dialog and `sensor-tui export --since/--until`.

Accepted, all in UTC (the database's time): `2014-02-14`, `2014-02-14 13:05`, `2014-02-14T13:05:30`
(a trailing `Z` is fine), a time of day `13:05` (today), `now`, and offsets from now such as
`-2h`, `-30m`, `-7d`, `-90s`, and epoch seconds of nine digits or more (`1392383100`, as HTTP
and `sensor-tui alarms report` take them; eight digits are a basic date, `20140214`). One parser,
so the dialog and the CLI accept the same text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.stored_time import iso

__all__ = ["BadMoment", "iso", "parse_when"]  # iso: the stored form, from model.stored_time

_OFFSET = re.compile(r"^-\s*(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_EPOCH = re.compile(r"^\d{9,11}(\.\d+)?$")


class BadMoment(SensorTuiError, ValueError):
    """The text names no moment this parser understands."""


def parse_when(text: str, now: float) -> float:
    """Unix epoch seconds for `text`; raises BadMoment with the accepted forms."""
    value = text.strip()
    if value.lower() == "now":
        return now
    if match := _OFFSET.match(value.lower()):
        return now - float(match.group(1)) * _UNITS[match.group(2)]
    if _EPOCH.match(value):
        return float(value)
    if match := _TIME_OF_DAY.match(value):
        hour, minute, second = (int(g or 0) for g in match.groups())
        if hour > 23 or minute > 59 or second > 59:
            raise BadMoment(f"not a time of day: {text!r}")
        day = datetime.fromtimestamp(now, UTC).replace(hour=hour, minute=minute, second=second)
        return day.replace(microsecond=0).timestamp()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadMoment(
            f"not a date or time: {text!r} (try 2014-02-14 13:05, 13:05, -2h, now or epoch "
            "seconds; UTC)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
