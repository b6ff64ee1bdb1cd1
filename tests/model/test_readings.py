"""Validation and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sensor_tui.model import readings as r
from sensor_tui.model.readings import Rejected, Validator, format_ts, normalize_ts
from sensor_tui.model.tags import Config

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000000Z"),
        ("2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05.500000Z"),
        ("2026-01-02T03:04:05.123456Z", "2026-01-02T03:04:05.123456Z"),
        ("2026-01-02T05:04:05+02:00", "2026-01-02T03:04:05.000000Z"),
        ("2026-01-01T22:04:05-05:00", "2026-01-02T03:04:05.000000Z"),
        ("2026-01-02 03:04:05", "2026-01-02T03:04:05.000000Z"),
        ("2026-01-02T03:04:05", "2026-01-02T03:04:05.000000Z"),
        ("2013-12-02 21:15:00", "2013-12-02T21:15:00.000000Z"),
        (1767322800, "2026-01-02T03:00:00.000000Z"),
        (1767322800.25, "2026-01-02T03:00:00.250000Z"),
        ("1767322800", "2026-01-02T03:00:00.000000Z"),
    ],
)
def test_timestamp_forms_normalise_to_one_fixed_width_utc_text(raw: object, expected: str) -> None:
    assert normalize_ts(raw) == expected
    assert len(expected) == r.TS_WIDTH


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-01-01T25:00:00Z",
        True,
        None,
        [],
        1e30,
        float("nan"),
        "2026-02-30 00:00:00",
    ],
)
def test_bad_timestamps_are_rejected(raw: object) -> None:
    with pytest.raises(Rejected) as info:
        normalize_ts(raw)
    assert info.value.reason == r.BAD_TIMESTAMP


def test_text_order_is_time_order() -> None:
    moments = [NOW + timedelta(seconds=s) for s in (-86400, -1, -0.001, 0, 0.5, 3600)]
    texts = [format_ts(m) for m in moments]
    assert texts == sorted(texts)


@pytest.mark.parametrize(
    ("tag", "value", "timestamp", "reason"),
    [
        ("nope", 1.0, "2026-01-01T00:00:00Z", r.UNKNOWN_TAG),
        (None, 1.0, "2026-01-01T00:00:00Z", r.MISSING_TAG),
        ("fermenter_ph", None, "2026-01-01T00:00:00Z", r.MISSING_VALUE),
        ("fermenter_ph", "seven", "2026-01-01T00:00:00Z", r.NOT_A_NUMBER),
        ("fermenter_ph", True, "2026-01-01T00:00:00Z", r.NOT_A_NUMBER),
        ("fermenter_ph", [7], "2026-01-01T00:00:00Z", r.NOT_A_NUMBER),
        ("fermenter_ph", float("nan"), "2026-01-01T00:00:00Z", r.NOT_FINITE),
        ("fermenter_ph", "inf", "2026-01-01T00:00:00Z", r.NOT_FINITE),
        ("fermenter_ph", 14.5, "2026-01-01T00:00:00Z", r.OUT_OF_RANGE),
        ("fermenter_ph", -0.1, "2026-01-01T00:00:00Z", r.OUT_OF_RANGE),
        ("fermenter_ph", 7.0, "garbage", r.BAD_TIMESTAMP),
        ("fermenter_ph", 7.0, "2026-11-26T12:05:01Z", r.FUTURE_TIMESTAMP),
    ],
)
def test_each_rejection_reason(
    config: Config, tag: object, value: object, timestamp: object, reason: str
) -> None:
    with pytest.raises(Rejected) as info:
        Validator(config).validate(tag, value, timestamp, "http", now=NOW)
    assert info.value.reason == reason


def test_valid_reading(config: Config) -> None:
    reading = Validator(config).validate(
        "fermenter_ph", "7.25", "2026-11-26T12:04:59Z", "http", now=NOW
    )
    assert (reading.tag, reading.value, reading.timestamp, reading.source) == (
        "fermenter_ph",
        7.25,
        "2026-11-26T12:04:59.000000Z",
        "http",
    )


def test_bounds_of_the_valid_range_are_accepted(config: Config) -> None:
    validator = Validator(config)
    assert validator.validate("fermenter_ph", 0, 0, "http").value == 0.0
    assert validator.validate("fermenter_ph", 14, 0, "http").value == 14.0


def test_missing_timestamp_means_now(config: Config) -> None:
    reading = Validator(config).validate("fermenter_ph", 7, None, "http", now=NOW)
    assert reading.timestamp == "2026-11-26T12:00:00.000000Z"


def test_future_check_uses_the_real_clock(config: Config) -> None:
    validator = Validator(config)
    soon = format_ts(datetime.now(UTC) + timedelta(minutes=4))
    later = format_ts(datetime.now(UTC) + timedelta(minutes=6))
    assert validator.validate("fermenter_ph", 7, soon, "http").timestamp == soon
    with pytest.raises(Rejected, match="future"):
        validator.validate("fermenter_ph", 7, later, "http")


def test_padded_tag_is_accepted_and_trimmed(config: Config) -> None:
    assert Validator(config).validate(" fermenter_ph ", 7, 0, "import").tag == "fermenter_ph"


def test_mapping_must_be_an_object(config: Config) -> None:
    with pytest.raises(Rejected) as info:
        Validator(config).validate_mapping(["fermenter_ph", 7], "http")
    assert info.value.reason == r.NOT_AN_OBJECT
