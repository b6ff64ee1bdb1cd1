"""Readings, their timestamps, and the validation every source goes through.

Timestamps are stored as ISO-8601 UTC text of one fixed width (`model.stored_time`, whose
conversions are re-exported here for the many callers that have a reading at hand).
Validation turns an untrusted measurement (from a CSV row, an HTTP body, the simulator) into a
`Reading` or a rejection *reason*; reasons are short fixed strings so they can be counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sensor_tui.model.stored_time import CANONICAL_WIDTH, BadTimestamp
from sensor_tui.model.stored_time import NOT_STORED_FORM as NOT_STORED_FORM
from sensor_tui.model.stored_time import epoch as epoch
from sensor_tui.model.stored_time import format_ts as format_ts
from sensor_tui.model.stored_time import now_ts as now_ts
from sensor_tui.model.stored_time import parse_ts as parse_ts
from sensor_tui.model.tags import Config
from sensor_tui.model.timestamps import canonical

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far ahead of this machine's clock a reading's timestamp may be (clock skew of gateways)."""

TS_WIDTH = CANONICAL_WIDTH

# Rejection reasons: fixed strings, counted on screen, in `stats` and on /stats.
UNKNOWN_TAG = "unknown tag"
MISSING_TAG = "missing tag"
MISSING_VALUE = "missing value"
NOT_A_NUMBER = "value is not a number"
NOT_FINITE = "value is not finite"
OUT_OF_RANGE = "value out of valid range"
BAD_TIMESTAMP = "bad timestamp"
FUTURE_TIMESTAMP = "timestamp in the future"
NOT_AN_OBJECT = "measurement is not an object"


@dataclass(slots=True)
class Reading:
    """One validated reading, and after detection its verdict.

    Mutable on purpose: the writer thread fills `is_anomaly`, `score` and `kind` in place, which
    keeps the hot path free of copies.
    """

    tag: str
    timestamp: str
    value: float
    source: str = "sim"
    is_anomaly: bool = False
    score: float | None = None
    kind: str | None = None

    def as_row(self) -> tuple[Any, ...]:
        """Column values in the order of `storage.INSERT_JSON_SQL`."""
        return (
            self.timestamp,
            self.tag,
            self.value,
            int(self.is_anomaly),
            self.score,
            self.kind,
            self.source,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, used by the dead-letter file and HTTP answers."""
        return {
            "timestamp": self.timestamp,
            "tag": self.tag,
            "value": self.value,
            "is_anomaly": self.is_anomaly,
            "score": self.score,
            "kind": self.kind,
            "source": self.source,
        }


class Rejected(ValueError):
    """A measurement that failed validation; `reason` is one of the module's reason strings."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def normalize_ts(raw: Any) -> str:
    """Accept a timestamp of `sensor_tui.model.timestamps`' grammar; return the stored form.

    Raises Rejected(BAD_TIMESTAMP) with the broken rule for anything else.
    """
    try:
        return canonical(raw)
    except BadTimestamp as exc:
        raise Rejected(BAD_TIMESTAMP, str(exc)) from None


def _to_value(raw: Any) -> float:
    if type(raw) is str:
        if "_" in raw:  # float() reads "3_7" as 37: a typo or a field mix-up, not a value
            raise Rejected(NOT_A_NUMBER, repr(raw))
        try:
            return float(raw)  # finiteness is checked with the range, where it costs nothing
        except ValueError:
            pass
    if raw is None or raw == "":
        raise Rejected(MISSING_VALUE)
    if isinstance(raw, bool):
        raise Rejected(NOT_A_NUMBER, repr(raw))
    if isinstance(raw, int | float | str):
        try:
            value = float(raw)
        except (ValueError, OverflowError):
            raise Rejected(NOT_A_NUMBER, repr(raw)) from None
    else:
        raise Rejected(NOT_A_NUMBER, repr(raw))
    if not math.isfinite(value):
        raise Rejected(NOT_FINITE, repr(raw))
    return value


class Validator:
    """Validates measurements against a configuration; cheap enough for the import hot path."""

    def __init__(self, config: Config) -> None:
        self._valid = {tag.name: tag.valid for tag in config.tags}
        self._limit = ""

    def _in_future(self, stamp: str, now: datetime | None) -> bool:
        """True when `stamp` is beyond `now` (default: the clock) plus the tolerance.

        The limit is cached and only refreshed when a stamp passes it: the clock only moves
        forward, so a stale limit can only be stricter, never more lenient (hot path).
        """
        if now is not None:
            return stamp > format_ts(now + FUTURE_TOLERANCE)
        if stamp <= self._limit:
            return False
        self._limit = format_ts(datetime.now(UTC) + FUTURE_TOLERANCE)
        return stamp > self._limit

    def validate(
        self, tag: Any, value: Any, timestamp: Any, source: str, now: datetime | None = None
    ) -> Reading:
        """Return a Reading or raise Rejected with the first reason that applies.

        A missing timestamp (None or "") means now: a sensor that has no clock is still useful.
        """
        valid = self._valid.get(tag) if type(tag) is str else None
        if valid is None:
            tag, valid = self._lookup_tag(tag)
        if type(value) is str:  # CSV: convert inline, fall back for the reason of a failure
            try:
                number = float(value)
            except ValueError:
                number = _to_value(value)
            if "_" in value:
                number = _to_value(value)  # raises: "3_7" is not 37
        else:
            number = value if type(value) is float else _to_value(value)
        if not valid[0] <= number <= valid[1]:  # also false for NaN
            if not math.isfinite(number):
                raise Rejected(NOT_FINITE, repr(value))
            raise Rejected(OUT_OF_RANGE, f"{number} not in [{valid[0]}, {valid[1]}]")
        if timestamp is None or timestamp == "":
            return Reading(tag, now_ts() if now is None else format_ts(now), number, source)
        try:
            stamp = canonical(timestamp)
        except BadTimestamp as exc:
            raise Rejected(BAD_TIMESTAMP, str(exc)) from None
        if (now is not None or stamp > self._limit) and self._in_future(stamp, now):
            raise Rejected(FUTURE_TIMESTAMP, stamp)
        return Reading(tag, stamp, number, source)

    def _lookup_tag(self, tag: Any) -> tuple[str, tuple[float, float]]:
        """The slow path of the tag check: missing, padded with spaces, or unknown."""
        if tag is None or tag == "":
            raise Rejected(MISSING_TAG)
        if isinstance(tag, str):
            valid = self._valid.get(tag.strip())
            if valid is not None:
                return tag.strip(), valid
        raise Rejected(UNKNOWN_TAG, repr(tag))

    def validate_mapping(self, item: Any, source: str) -> Reading:
        """Validate one JSON-style measurement object (`{"tag", "value", "timestamp"}`)."""
        if not isinstance(item, Mapping):
            raise Rejected(NOT_AN_OBJECT)
        return self.validate(item.get("tag"), item.get("value"), item.get("timestamp"), source)
