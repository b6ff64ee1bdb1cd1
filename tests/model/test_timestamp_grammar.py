"""The strict timestamp parser, fuzzed against `datetime.fromisoformat` and the documented rules.

The oracle below is the grammar of docs/guide/timestamps.md written a second, independent way: the
parser must accept exactly what it accepts, agree with `fromisoformat` on the instant, and answer
the stored form that `epoch()` reads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sensor_tui import timestamps as ts
from sensor_tui.model.readings import Rejected, Validator, epoch, normalize_ts
from sensor_tui.model.tags import load_config
from tests.support.hostile_inputs import ONCE_STORED_AS_GARBAGE, any_timestamp, timestamp_texts

GRAMMAR = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?",
    re.ASCII,
)
STORED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", re.ASCII)


def documented_instant(text: str) -> datetime | None:
    """The instant the documented grammar gives `text`, or None when a rule rejects it."""
    match = GRAMMAR.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    if int(year) < 1900 or (hour is not None and (int(hour) > 23 or int(minute) > 59)):
        return None
    if second is not None and int(second) > 59:
        return None
    try:
        datetime(int(year), int(month), int(day))
    except ValueError:
        return None
    if zone not in (None, "Z"):
        minutes = int(zone[4:])
        if minutes > 59 or timedelta(hours=int(zone[1:3]), minutes=minutes) > timedelta(hours=14):
            return None
    moment = datetime.fromisoformat(text.strip())
    try:
        moment = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    except OverflowError:
        return None
    return moment if 1900 <= moment.year <= 9999 else None


def documented_epoch(text: str) -> float | None:
    """Epoch seconds of text of nine or ten digits (and a fraction), 1970 to 2100, else None."""
    if not re.fullmatch(r"\d{9,10}(\.\d{1,9})?", text.strip(), re.ASCII):
        return None
    seconds = float(text)
    return seconds if seconds < ts.LAST_EPOCH else None


def check_accepted(text: str, stored: str) -> None:
    assert STORED.fullmatch(stored), stored
    assert ts.is_canonical(stored)
    expected = datetime.fromisoformat(text.strip())
    expected = expected if expected.tzinfo else expected.replace(tzinfo=UTC)
    assert datetime.fromisoformat(stored) == expected
    assert epoch(stored) == round(expected.timestamp(), 6)


@settings(max_examples=600, deadline=None)
@given(timestamp_texts())
@example("2026-12-07T19:46:33.000+01:00")
@example("2026-01-01T00:00:00.123456789Z")
@example("1900-01-01T00:00+14:00")
@example("9999-12-31T23:59-14:00")
def test_accepts_exactly_the_documented_grammar_and_agrees_with_fromisoformat(text: str) -> None:
    instant = documented_instant(text)
    seconds = documented_epoch(text)
    try:
        stored = ts.canonical(text)
    except ts.BadTimestamp as exc:
        assert instant is None and seconds is None, f"{text!r} rejected: {exc.rule}"
        return
    if seconds is not None:  # ten digits: epoch seconds, as documented
        assert abs(epoch(stored) - seconds) <= 1e-6
        return
    assert instant is not None, f"{text!r} breaks a documented rule, accepted as {stored}"
    check_accepted(text, stored)


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(["T", " "]),
    st.sampled_from(["auto", "minutes", "seconds", "milliseconds", "microseconds"]),
    st.one_of(st.none(), st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))),
)
def test_isoformat_spellings_round_trip_to_the_same_instant(
    moment: datetime, sep: str, spec: str, offset: timedelta | None
) -> None:
    if offset is not None:
        moment = moment.replace(tzinfo=timezone(offset))
    text = moment.isoformat(sep=sep, timespec=spec)
    check_accepted(text, ts.canonical(text))


@settings(max_examples=600, deadline=None)
@given(any_timestamp())
def test_anything_else_is_rejected_with_a_documented_rule_never_an_error(raw: object) -> None:
    try:
        stored = ts.canonical(raw)
    except ts.BadTimestamp as exc:
        assert exc.rule in RULES
        if isinstance(raw, str):
            assert documented_instant(raw) is None and documented_epoch(raw) is None
        return
    assert ts.is_canonical(stored)
    if isinstance(raw, str) and documented_instant(raw) is not None:
        check_accepted(raw, stored)
    else:  # epoch seconds
        seconds = float(raw)  # type: ignore[arg-type]
        assert 0 <= seconds < ts.LAST_EPOCH
        assert isinstance(raw, int | float) or documented_epoch(raw) is not None
        assert abs(epoch(stored) - seconds) <= 1e-6


RULES = {value for name, value in vars(ts).items() if name.isupper() and isinstance(value, str)}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (ONCE_STORED_AS_GARBAGE[0], ts.BAD_ZONE),
        (ONCE_STORED_AS_GARBAGE[1], ts.BAD_ZONE),
        (ONCE_STORED_AS_GARBAGE[2], ts.BASIC_FORMAT),
        (ONCE_STORED_AS_GARBAGE[3], ts.WEEK_DATE),
        ("2026-337T00:00:00Z", ts.ORDINAL_DATE),
        ("20261207T184614Z", ts.BASIC_FORMAT),
        ("2026-12-07T18:46:14+0100", ts.BAD_ZONE),
        ("2026-12-07t18:46:14Z", ts.LOWER_CASE),
        ("2026-12-07T18:46:14,5Z", ts.COMMA_FRACTION),
        ("2026-12-07T18:46:14.1234567890Z", ts.LONG_FRACTION),
        ("2026-12-07T18:46:14+15:00", ts.OFFSET_TOO_LARGE),
        ("0001-01-01T00:00:00Z", ts.YEAR_RANGE),
        ("2026-02-29T00:00:00Z", ts.NO_SUCH_DATE),
        ("2026-01-01T24:00:00Z", ts.NO_SUCH_TIME),
        ("20261207", ts.SHORT_EPOCH),
        ("1767322800000", ts.EPOCH_RANGE),
        ("1.7e9", ts.EPOCH_FORM),
        ("", ts.EMPTY),
    ],
)
def test_each_rule_names_itself_in_the_rejection(text: str, rule: str) -> None:
    with pytest.raises(Rejected) as info:
        normalize_ts(text)
    assert rule in info.value.detail


@pytest.mark.parametrize("text", ONCE_STORED_AS_GARBAGE)
def test_the_validator_rejects_what_was_once_stored_as_garbage(text: str) -> None:
    validator = Validator(load_config(None))
    with pytest.raises(Rejected):
        validator.validate("fermenter_temp", 37.0, text, "http")


def test_an_offset_is_honoured_not_dropped() -> None:
    validator = Validator(load_config(None))
    reading = validator.validate("fermenter_temp", 37.0, "2026-01-01T10:00:00+01:00", "mqtt")
    assert reading.timestamp == "2026-01-01T09:00:00.000000Z"


@pytest.mark.parametrize("text", ["2026-12-07T19:46+01.000000Z", "2026-12-07 19:46:00", "x"])
def test_epoch_refuses_text_not_in_the_stored_form(text: str) -> None:
    with pytest.raises(ValueError, match="stored form"):
        epoch(text)
