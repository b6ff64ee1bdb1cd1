"""Hypothesis strategies for hostile input: timestamps, values, tags, markup, sizes, nesting.

Shared by the timestamp grammar's fuzz tests, the hostile-input suite and `benchmarks/hostile.py`
(which draws from a seeded generator instead: `draw_measurement`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

TAGS = ("fermenter_temp", "fermenter_ph", "agitator_rpm")
VALID = {
    "fermenter_temp": (-20.0, 150.0),
    "fermenter_ph": (0.0, 14.0),
    "agitator_rpm": (0.0, 3000.0),
}

ISSUE_EXAMPLES = (
    "2026-12-07T19:46:33.000+01Z",
    "2026-12-07T19:46+01Z",
    "2026-12-07T184614.5",
    "2020-W48-4T17:26:18Z",
)
"""Spellings once stored as garbage (a fixed-position fast path cut them into shape)."""

MARKUP = (
    "[/]",
    "[bold red]x[/]",
    "[link=https://example.com]x[/link]",
    "[",
    "]",
    "\\[x]",
    "[@click=quit]",
)


def _two(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


@st.composite
def timestamp_texts(draw: st.DrawFn) -> str:
    """Near-ISO text: mostly the documented grammar, often one part wrong (separator, zone,
    field range, fraction length, basic format, case, padding)."""
    year = draw(
        st.one_of(
            st.integers(1900, 2099).map(str),
            st.sampled_from(["0001", "1899", "9999", "20x6", "+2026", "226"]),
        )
    )
    month = draw(st.one_of(_two(1, 12), st.sampled_from(["00", "13", "W48", "1", "337"])))
    day = draw(st.one_of(_two(1, 31), st.sampled_from(["00", "32", "4", "-4"])))
    date = draw(st.sampled_from(["{y}-{m}-{d}", "{y}{m}{d}", "{y}-{m}"])).format(
        y=year, m=month, d=day
    )
    if draw(st.integers(0, 9)) == 0:
        return date
    sep = draw(st.sampled_from(["T", " ", "t", "_", "  ", ""]))
    hour = draw(st.one_of(_two(0, 23), st.sampled_from(["24", "25", "7"])))
    minute = draw(st.one_of(_two(0, 59), st.sampled_from(["60", "5"])))
    clock = draw(
        st.sampled_from(
            ["{h}:{m}", "{h}:{m}:{s}", "{h}{m}{s}", "{h}", "{h}:{m}:{s}.{f}", "{h}:{m}:{s},{f}"]
        )
    )
    second = draw(st.one_of(_two(0, 59), st.sampled_from(["60", "61"])))
    fraction = draw(st.text("0123456789", min_size=0, max_size=11))
    zone = draw(
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "Z",
                    "z",
                    "+01Z",
                    "+01",
                    "+0100",
                    "Z+01:00",
                    "+00:00",
                    "-00:00",
                    "UTC",
                    "+01:00:00",
                ]
            ),
            st.builds(
                lambda sign, h, m: f"{sign}{h}:{m}", st.sampled_from("+-"), _two(0, 24), _two(0, 60)
            ),
        )
    )
    time = clock.format(h=hour, m=minute, s=second, f=fraction)
    pad = draw(st.sampled_from(["", "", "", " ", "\t", "\n"]))
    return f"{pad}{date}{sep}{time}{zone}{pad}"


def any_timestamp() -> st.SearchStrategy[Any]:
    """Anything a JSON body or a CSV cell may carry where a timestamp is expected."""
    return st.one_of(
        timestamp_texts(),
        st.sampled_from(ISSUE_EXAMPLES),
        st.text(max_size=40),
        st.integers(-(10**15), 10**15),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(1_500_000_000, 1_800_000_000).map(str),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=3),
    )


BASE = 1_769_817_600
"""2026-01-31T00:00:00Z: input i of a hostile run is at BASE + i seconds, if it is valid."""


def draw_measurement(
    rng: random.Random, index: int, valid_share: float = 0.35
) -> tuple[dict[str, Any], bool]:
    """One hostile measurement from a seeded generator, and whether it is valid (the benchmark's
    hot loop: Hypothesis' own drawing is too slow for 100,000 inputs). About a third are valid,
    each at its own second: stored exactly once, or lost."""
    tag = rng.choice(TAGS)
    low, high = VALID[tag]
    stamp = BASE + index
    if rng.random() < valid_share:
        return {
            "tag": tag,
            "value": rng.uniform(low, high),
            "timestamp": _spelling(rng, stamp),
        }, True
    item: dict[str, Any] = {"tag": tag, "value": rng.uniform(low, high), "timestamp": stamp}
    item.update(rng.choice(_BAD_FIELDS)(rng))
    return item, False


def _spelling(rng: random.Random, stamp: int) -> Any:
    moment = datetime.fromtimestamp(stamp, UTC)
    choice = rng.randrange(4)
    if choice == 0:
        return stamp
    if choice == 1:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if choice == 2:
        zone = timezone(timedelta(hours=rng.randint(-12, 14)))
        return moment.astimezone(zone).isoformat()
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _nested(depth: int) -> Any:
    value: Any = 1.0
    for _ in range(depth):
        value = [value]
    return value


_BAD_FIELDS = (
    lambda rng: {"timestamp": rng.choice(ISSUE_EXAMPLES)},
    lambda rng: {
        "timestamp": rng.choice(
            ["0001-01-01T00:00:00Z", "1e30", "NaN", "2026-02-30T00:00:00Z", "x" * 200, "2026"]
        )
    },
    lambda rng: {"timestamp": rng.choice([10**20, -1, 1.7e12, True])},
    lambda rng: {
        "value": rng.choice(["NaN", "inf", "-inf", "1e400", "", None, True, "37,5", "x" * 10_000])
    },
    lambda rng: {"value": rng.choice([1e308, -1e308, 1e6, -1e6])},
    lambda rng: {"value": _nested(rng.randint(1, 200))},
    lambda rng: {"value": {"nested": {"deep": [1, 2, {"x": None}]}}},
    lambda rng: {"tag": rng.choice(MARKUP)},
    lambda rng: {
        "tag": rng.choice(
            ["", " ", None, 7, ["fermenter_temp"], "\u202e\u0000", "\ud800", "t" * 5000]
        )
    },
    lambda rng: {"tag": _nested(rng.randint(1, 50))},
)


def values() -> st.SearchStrategy[Any]:
    """Values: in and out of range, non-finite, numeric text, mistyped, nested."""
    return st.one_of(
        st.floats(-1e6, 1e6),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**30), 10**30),
        st.text(max_size=30),
        st.sampled_from(["37.5", " 7 ", "1e400", "NaN", "0x10", "37,5", ""]),
        st.none(),
        st.booleans(),
        st.recursive(st.floats(0, 10), lambda inner: st.lists(inner, max_size=2), max_leaves=8),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    )


def tags() -> st.SearchStrategy[Any]:
    """Tags: the real ones, padded, markup, control characters, long, mistyped."""
    return st.one_of(
        st.sampled_from(TAGS),
        st.sampled_from(TAGS).map(lambda tag: f" {tag}\t"),
        st.sampled_from(MARKUP),
        st.text(max_size=20),
        st.text(min_size=1000, max_size=3000),
        st.none(),
        st.integers(),
        st.lists(st.sampled_from(TAGS), max_size=2),
    )


def measurements() -> st.SearchStrategy[Any]:
    """One measurement as a client may send it: mostly objects, some not, keys missing or extra."""
    recent = st.integers(1_769_817_600, 1_780_000_000)
    stamp = st.one_of(any_timestamp(), recent, recent.map(str))
    item = st.fixed_dictionaries(
        {"tag": tags(), "value": values()},
        optional={"timestamp": stamp, "extra": st.text(max_size=5)},
    )
    return st.one_of(item, item, item, st.none(), st.integers(), st.text(max_size=10))
