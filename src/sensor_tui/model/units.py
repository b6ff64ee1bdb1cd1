"""Units: groups of tags on one piece of plant, judged together (`[[units]]` in the TOML file).

    [[units]]
    name = "fermenter"
    tags = ["fermenter_temp", "fermenter_ph", "agitator_rpm"]
    detector = "default"   # optional: the unit detector's registry name
    warmup = 600           # optional: observations learned as the reference at first start

A fault that lives in how tags move together (a pH that stops following its temperature) shows on
no single tag; a unit detector watches the unit's observations (one value of each of its tags) and
alarms when their relations break. The simulator's three tags form one default unit, so the
monitor shows unit health out of the box; `units = []` switches it off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_UNIT_DETECTOR = "default"
"""The unit detector's registry name when a unit names none (PCA T² and Q)."""

DEFAULT_WARMUP = 600
"""Observations learned as a unit's reference when none is stored yet: ten minutes at 1 Hz, long
enough to see the unit's tags move together several times, short enough that the monitor judges
the unit soon after its first start. An operator replaces it with a period known to be normal."""

DEFAULT_UNIT_NAME = "fermenter"
"""The default unit's name: the three built-in tags are a fermenter's."""

_KEYS = {"name", "tags", "detector", "warmup"}


class UnitSettingsError(ValueError):
    """`[[units]]` cannot be used; the message names the entry (tags.py makes it a ConfigError)."""


@dataclass(frozen=True, slots=True)
class Unit:
    """One configured unit: its name, its tags (the columns of every observation), a detector."""

    name: str
    tags: tuple[str, ...]
    detector: str = DEFAULT_UNIT_DETECTOR
    warmup: int = DEFAULT_WARMUP


def _parse_unit(entry: Any, index: int, tag_names: Sequence[str]) -> Unit:
    where = f"units[{index}]"
    if not isinstance(entry, dict):
        raise UnitSettingsError(f"{where}: each [[units]] entry must be a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise UnitSettingsError(f"{where}: unknown key(s) {', '.join(unknown)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise UnitSettingsError(f"{where}: 'name' must be a non-empty string")
    where = f"{where} ({name.strip()})"
    tags = entry.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise UnitSettingsError(f"{where}: 'tags' must be a list of tag names")
    if len(tags) < 2 or len(set(tags)) != len(tags):
        raise UnitSettingsError(f"{where}: 'tags' needs at least two distinct tags")
    missing = [t for t in tags if t not in tag_names]
    if missing:
        raise UnitSettingsError(f"{where}: unknown tag(s) {', '.join(missing)}")
    detector = entry.get("detector", DEFAULT_UNIT_DETECTOR)
    if not isinstance(detector, str) or not detector:
        raise UnitSettingsError(f"{where}: 'detector' must be a detector's name")
    warmup = entry.get("warmup", DEFAULT_WARMUP)
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 2 * len(tags):
        raise UnitSettingsError(
            f"{where}: 'warmup' must be a whole number of observations, at least {2 * len(tags)}"
        )
    return Unit(name.strip(), tuple(tags), detector, int(warmup))


def parse_units(entries: Any, tag_names: Sequence[str], default: Unit | None) -> tuple[Unit, ...]:
    """The `[[units]]` tables, checked against the configured tags; `default` when absent."""
    if entries is None:
        return (default,) if default is not None else ()
    if not isinstance(entries, list):
        raise UnitSettingsError("'units' must be an array of tables: use [[units]]")
    units = [_parse_unit(entry, i, tag_names) for i, entry in enumerate(entries)]
    names = [unit.name for unit in units]
    if len(names) != len(set(names)):
        raise UnitSettingsError("a unit name appears twice in [[units]]")
    clash = sorted(set(names) & set(tag_names))
    if clash:
        # A unit's alarms are listed by its name where tags' are listed by theirs.
        raise UnitSettingsError(f"unit name(s) {', '.join(clash)} are also tag names")
    return tuple(units)


def default_unit(tag_names: Sequence[str], builtin: Sequence[str]) -> Unit | None:
    """The fermenter unit when every built-in tag is configured, else None."""
    if builtin and all(name in tag_names for name in builtin):
        return Unit(DEFAULT_UNIT_NAME, tuple(builtin))
    return None


def finite(values: Sequence[float]) -> bool:
    """True when every value is a finite number (an observation a detector may judge)."""
    return all(math.isfinite(v) for v in values)
