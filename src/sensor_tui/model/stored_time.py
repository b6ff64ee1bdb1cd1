"""The stored timestamp text and every conversion to and from it: datetimes, epoch seconds, now.

Timestamps are stored as ISO-8601 UTC text of one fixed width (`2026-11-26T17:26:18.000000Z`),
so that text order is time order and `sqlite-utils query` shows something a person can read.

Why a module: the conversions were written in several places (the readings, the operator's
moments, the timestamp grammar, the chart's history reads), each a one-liner that could drift
from the others by a digit of precision. They live here, once. What text a *source* may send is
a different job, the strict grammar of `model.timestamps`; what a *person* may type is
`model.when`'s. Both answer in this module's form.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

CANONICAL_WIDTH = len("2026-11-26T17:26:18.000000Z")
NOT_STORED_FORM = "not the stored form YYYY-MM-DDTHH:MM:SS.ffffffZ"

_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", re.ASCII)


class BadTimestamp(ValueError):
    """A timestamp outside the accepted grammar, or stored text not in the stored form; `rule`
    is the rule it breaks."""

    def __init__(self, rule: str, raw: Any) -> None:
        super().__init__(f"{rule}: {raw!r}")
        self.rule = rule


def is_canonical(text: Any) -> bool:
    """True for text of the stored form's shape (what a reader of old rows may rely on)."""
    return type(text) is str and len(text) == CANONICAL_WIDTH and bool(_CANONICAL.fullmatch(text))


def format_ts(moment: datetime) -> str:
    """The stored form of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def now_ts() -> str:
    """The current time in stored form."""
    return format_ts(datetime.now(UTC))


def utc(epoch: float) -> datetime:
    """Epoch seconds as an aware UTC datetime (for arithmetic before formatting)."""
    return datetime.fromtimestamp(epoch, UTC)


def iso(epoch: float) -> str:
    """Epoch seconds in stored form (what `timestamp` columns compare against)."""
    return format_ts(utc(epoch))


def epoch(timestamp: str) -> float:
    """Stored timestamp text (`2026-11-26T17:26:18.000000Z`) to Unix epoch seconds.

    Raises BadTimestamp (a ValueError) for text not in the stored form: rows written by older
    releases may hold such garbage, and their readers skip them rather than guess.
    """
    if not is_canonical(timestamp):
        raise BadTimestamp(NOT_STORED_FORM, timestamp)
    return round(datetime.fromisoformat(timestamp).timestamp(), 6)


def parse_ts(text: str) -> datetime:
    """Stored timestamp text back to an aware datetime."""
    return datetime.fromisoformat(text)
