"""The one timestamp parser every source shares: HTTP, MQTT, CSV import, OPC UA, the simulator.

Why strict: a timestamp is the key a reading is stored under (UNIQUE (tag, timestamp)) and the
text order of the column is its time order. Text that is merely *accepted* by a lenient parser and
then cut into a fixed width (`2026-12-07T19:46+01Z` once became `2026-12-07T19:46+01.000000Z`)
is stored as garbage that later crashes whatever turns it back into a time. So one grammar is
accepted, everything else is rejected with the rule it breaks (docs/guide/timestamps.md):

- ISO-8601 extended format: `YYYY-MM-DD`, or `YYYY-MM-DD` then `T` or one space then `HH:MM`,
  `HH:MM:SS` or `HH:MM:SS.f` (1 to 9 digits; beyond microseconds is truncated), then `Z`, an
  offset `+HH:MM` / `-HH:MM` (at most 14 hours), or nothing, which means UTC. Years 1900-9999.
- Unix epoch seconds from 1970 to 2100: a number, or text of at least nine digits with an
  optional fraction (`1767322800.25`). Later than 2100 is refused (most likely milliseconds);
  shorter text is refused as ambiguous (`2026` or `20261207` read as a year or a date as easily
  as seconds of 1970).

The answer is always the stored form, UTC, one fixed width: `2026-11-26T17:26:18.000000Z`
(`model.stored_time`, where the conversions to and from it live; this module only decides what
text a source may send).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from sensor_tui.model.stored_time import CANONICAL_WIDTH, BadTimestamp, is_canonical, iso

__all__ = ["CANONICAL_WIDTH", "BadTimestamp", "canonical", "diagnose", "from_epoch", "is_canonical"]

FIRST_YEAR = 1900
LAST_EPOCH = 4_102_444_800.0
"""2100-01-01T00:00:00Z: epoch seconds beyond it are taken for milliseconds, not believed."""
MAX_OFFSET = timedelta(hours=14)

_ISO = re.compile(
    r"(\d{4}-\d\d-\d\d)"
    r"(?:[T ]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,9}))?)?(Z|[+-]\d\d:\d\d)?)?",
    re.ASCII,
)
_EPOCH_TEXT = re.compile(r"\d{9,10}(?:\.\d{1,9})?", re.ASCII)
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)
_PAD = "000000"
_SHAPES_20 = ("--T::Z", "-- ::Z")
"""Characters at 4, 7, 10, 13, 16, 19 of `2026-01-01T00:00:00Z` (one slice checks them all)."""
_parse_naive = datetime.fromisoformat
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_good_dates: set[str] = set()
"""Dates already checked (an import repeats a few thousand at most): the hot path skips them."""

# Rules, named by what a rejected text breaks (the detail of a `bad timestamp` rejection).
NOT_TEXT_OR_NUMBER = "neither text nor a number"
EMPTY = "empty"
WEEK_DATE = "ISO week dates (2020-W48-4) are not accepted"
ORDINAL_DATE = "ordinal dates (2020-337) are not accepted"
BASIC_FORMAT = "basic format without '-' and ':' is not accepted"
BAD_ZONE = "zone must be Z or +HH:MM / -HH:MM, once, after a time"
LOWER_CASE = "T and Z must be upper case"
COMMA_FRACTION = "fractions of a second take a point, not a comma"
LONG_FRACTION = "fractions of a second take 1 to 9 digits"
NO_SUCH_DATE = "no such date"
NO_SUCH_TIME = "no such time of day"
OFFSET_TOO_LARGE = "offset beyond 14 hours"
YEAR_RANGE = "year before 1900 or after 9999"
SHORT_EPOCH = "epoch seconds as text need nine digits or more (a year? a date YYYYMMDD?)"
EPOCH_RANGE = "epoch seconds before 1970 or after 2100 (milliseconds?)"
EPOCH_FORM = "epoch seconds as text: digits and a point only, 1970 to 2100"
NOT_FINITE = "not a finite number"
UNKNOWN_FORM = "not YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM] nor epoch seconds"


def canonical(raw: Any) -> str:
    """The stored form of an accepted timestamp (see the module docstring), or BadTimestamp."""
    if type(raw) is str:
        if len(raw) == 20 and raw[4::3] in _SHAPES_20 and raw[:4] >= "1900":
            try:  # the commonest spelling: fixed places checked above, digits and values here
                _parse_naive(raw[:19])
                return f"{raw[:10]}T{raw[11:19]}.000000Z"
            except ValueError:
                pass  # the general route says which rule it breaks
        match = _ISO.fullmatch(raw)
        if match is None:
            match = _ISO.fullmatch(raw.strip()) if raw[:1].isspace() or raw[-1:].isspace() else None
            if match is None:
                return _epoch_text(raw)
        date, hour, minute, second, fraction, zone = match.groups()
        if date not in _good_dates:
            _check_date(date, raw)
        if hour is None:
            return f"{date}T00:00:00.000000Z"
        frac = _PAD if fraction is None else (fraction + _PAD)[:6]
        text = f"{date}T{hour}:{minute}:{second or '00'}.{frac}Z"
        return text if zone is None or zone == "Z" else _shift(text, zone, raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise BadTimestamp(NOT_TEXT_OR_NUMBER, raw)
    return from_epoch(raw, raw)


def from_epoch(seconds: float, raw: Any) -> str:
    """Epoch seconds (1970 to 2100) in stored form."""
    if not math.isfinite(seconds):
        raise BadTimestamp(NOT_FINITE, raw)
    if not 0 <= seconds < LAST_EPOCH:
        raise BadTimestamp(EPOCH_RANGE, raw)
    return iso(seconds)


def _check_date(date: str, raw: Any) -> None:
    year, month, day = int(date[:4]), int(date[5:7]), int(date[8:])
    if not FIRST_YEAR <= year <= 9999:
        raise BadTimestamp(YEAR_RANGE, raw)
    leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1] + leap:
        raise BadTimestamp(NO_SUCH_DATE, raw)
    if len(_good_dates) > 20_000:
        _good_dates.clear()
    _good_dates.add(date)


def _shift(text: str, zone: str, raw: Any) -> str:
    """Local time with an offset to UTC (the rarer spelling: datetime arithmetic is fine)."""
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    if int(zone[4:6]) > 59 or offset > MAX_OFFSET:
        raise BadTimestamp(OFFSET_TOO_LARGE, raw)
    local = datetime.fromisoformat(text[:-1])
    try:
        moment = local - offset if zone[0] == "+" else local + offset
    except OverflowError:
        raise BadTimestamp(YEAR_RANGE, raw) from None
    if not FIRST_YEAR <= moment.year <= 9999:
        raise BadTimestamp(YEAR_RANGE, raw)
    return moment.isoformat(timespec="microseconds") + "Z"


def _epoch_text(raw: str) -> str:
    text = raw.strip()
    if _EPOCH_TEXT.fullmatch(text):
        return from_epoch(float(text), raw)
    raise BadTimestamp(diagnose(text), raw)


_DIAGNOSES = (
    (re.compile(r"^\d{4}-?W\d"), WEEK_DATE),
    (re.compile(r"^\d{4}-\d{3}(?:$|[T ])"), ORDINAL_DATE),
    (re.compile(r"^\d{4}-\d\d-\d\dt|\dz$"), LOWER_CASE),
    (re.compile(r"^\d{8}|[T ]\d{4}"), BASIC_FORMAT),
    (re.compile(r":\d\d[.,]?\d*,|:\d\d,\d"), COMMA_FRACTION),
    (re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[+-]|Z.)"), BAD_ZONE),
    (re.compile(r":\d\d\.\d{10}"), LONG_FRACTION),
    (re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?"), NO_SUCH_TIME),
    (re.compile(r"^\d{4}-\d\d-\d\d(?:$|[T ])"), NO_SUCH_DATE),
)


def diagnose(text: str) -> str:
    """The rule a rejected text breaks (the first that applies), for the rejection's detail."""
    if not text:
        return EMPTY
    if _NUMBER.fullmatch(text):
        if text.isdigit():
            return SHORT_EPOCH if len(text) < 9 else EPOCH_RANGE
        return EPOCH_FORM
    for pattern, rule in _DIAGNOSES:
        if pattern.search(text):
            return rule
    return UNKNOWN_FORM
