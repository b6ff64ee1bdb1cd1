"""Sensor tags and the TOML configuration that adds or replaces them.

A tag is one measured quantity of the plant (a fermenter's temperature, an agitator's speed). Each
carries a *normal band*, where the process should sit and where the simulator keeps it, and a
*valid range*, outside of which a reading cannot be physical and is rejected before it is stored.
"""

from __future__ import annotations

import math
import socket
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sensor_tui.model.alarm_settings import AlarmSettings, AlarmSettingsError, parse_alarm_settings
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.units import Unit, UnitSettingsError, default_unit, parse_units


class ConfigError(SensorTuiError):
    """The configuration file cannot be used; the message says which entry and why."""


@dataclass(frozen=True, slots=True)
class Tag:
    """One configured sensor tag: its name, unit, normal band and valid range."""

    name: str
    unit: str
    normal: tuple[float, float]
    valid: tuple[float, float]
    detector: str = "robust"
    """Name of the anomaly detector for this tag (see `sensor_tui.detection.DETECTORS`)."""
    threshold: float | None = None
    """Alarm threshold on the detector's calibrated score in [0, 1]; None: the detector's
    default (`sensor_tui.detection.DEFAULT_THRESHOLD`)."""

    @property
    def band_width(self) -> float:
        """Width of the normal band, the natural scale of this tag's noise and faults."""
        return self.normal[1] - self.normal[0]

    def as_row(self) -> dict[str, Any]:
        """The row stored in the `tags` table, so the database explains its own units."""
        return {
            "name": self.name,
            "unit": self.unit,
            "normal_low": self.normal[0],
            "normal_high": self.normal[1],
            "valid_low": self.valid[0],
            "valid_high": self.valid[1],
            "detector": self.detector,
            "threshold": self.threshold,
        }


DEFAULT_TAGS: tuple[Tag, ...] = (
    Tag("fermenter_temp", "°C", (35.0, 40.0), (-20.0, 150.0)),
    Tag("fermenter_ph", "pH", (6.5, 7.5), (0.0, 14.0)),
    Tag("agitator_rpm", "rpm", (300.0, 600.0), (0.0, 3000.0)),
)


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    """How the built-in simulator behaves; `[simulator]` in the TOML file."""

    spike_rate: float = 0.01
    """Chance per reading of a random one-point spike (the seed used 0.05: a flood of alarms)."""
    noise: float = 0.02
    """Gaussian noise as a fraction of the normal band's width."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the TOML file can set: the tags, the simulator's settings, the sources."""

    tags: tuple[Tag, ...] = DEFAULT_TAGS
    simulator: SimulatorSettings = field(default_factory=SimulatorSettings)
    detector: str = "robust"
    threshold: float | None = None
    """The top-level `threshold`: every tag's default unless the tag sets its own."""
    sources: tuple[dict[str, Any], ...] = ()
    """The `[[sources]]` tables as written; `sensor_tui.sources.config` checks and types them
    (the core does not know the protocols)."""
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    """`[alarms]`: the notification command."""
    units: tuple[Unit, ...] = ()
    """`[[units]]`: groups of tags judged together (`sensor_tui.model.units`). `load_config` gives
    the built-in tags one by default; a Config built in code has none unless given."""

    def unit(self, name: str) -> Unit | None:
        """The configured unit of that name, or None."""
        return next((unit for unit in self.units if unit.name == name), None)

    site: str = field(default_factory=socket.gethostname)
    """`site = "NAME"`: this monitor's name in the historian (default: the host name)."""
    forward: str | None = None
    """`[forward] url = "postgresql://..."`: the historian to forward to (None: none)."""

    def tag(self, name: str) -> Tag | None:
        """The configured tag of that name, or None."""
        for tag in self.tags:
            if tag.name == name:
                return tag
        return None

    @property
    def tag_names(self) -> tuple[str, ...]:
        """Configured tag names in display order."""
        return tuple(tag.name for tag in self.tags)


def _pair(entry: dict[str, Any], key: str, where: str) -> tuple[float, float]:
    value = entry.get(key)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(v) for v in value)
    ):
        raise ConfigError(f"{where}: '{key}' must be a list of two numbers, like [0.0, 10.0]")
    low, high = float(value[0]), float(value[1])
    if low >= high:
        raise ConfigError(f"{where}: '{key}' must be [low, high] with low < high")
    return low, high


def _threshold(value: Any, where: str) -> float | None:
    """A threshold on the calibrated score: a number in (0, 1], or absent."""
    if value is None:
        return None
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0.0 < value <= 1.0
    ):
        raise ConfigError(f"{where}: 'threshold' must be a number in (0, 1], like 0.5")
    return float(value)


def _parse_tag(
    entry: Any, index: int, default_detector: str, default_threshold: float | None = None
) -> Tag:
    where = f"tags[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each [[tags]] entry must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' must be a non-empty string")
    normal = _pair(entry, "normal", where)
    valid = _pair(entry, "valid", where)
    if not (valid[0] <= normal[0] and normal[1] <= valid[1]):
        raise ConfigError(f"{where} ({name}): the normal band must lie inside the valid range")
    unit = entry.get("unit", "")
    detector = entry.get("detector", default_detector)
    if not isinstance(unit, str) or not isinstance(detector, str):
        raise ConfigError(f"{where} ({name}): 'unit' and 'detector' must be strings")
    threshold = _threshold(entry.get("threshold", default_threshold), f"{where} ({name})")
    return Tag(name.strip(), unit, normal, valid, detector, threshold)


def _merge_tags(base: tuple[Tag, ...], extra: list[Tag]) -> tuple[Tag, ...]:
    """Tags of the file replace built-ins of the same name and add the others, in order."""
    by_name = {tag.name: tag for tag in base}
    order = [tag.name for tag in base]
    for tag in extra:
        if tag.name not in by_name:
            order.append(tag.name)
        by_name[tag.name] = tag
    return tuple(by_name[name] for name in order)


def _parse_simulator(table: Any) -> SimulatorSettings:
    if not isinstance(table, dict):
        raise ConfigError("[simulator] must be a table")
    settings = SimulatorSettings()
    for key in ("spike_rate", "noise"):
        if key in table:
            value = table[key]
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"[simulator] {key} must be a non-negative number")
            settings = replace(settings, **{key: float(value)})
    return settings


def _parse_site_and_forward(data: dict[str, Any]) -> tuple[str, str | None]:
    """`site = "NAME"` and `[forward] url = "postgresql://..."` (the historian)."""
    site = data.get("site", socket.gethostname())
    if not isinstance(site, str) or not site.strip() or "/" in site:
        raise ConfigError("'site' must be a non-empty name without '/'")
    table = data.get("forward", {})
    if not isinstance(table, dict):
        raise ConfigError("'forward' must be a table: [forward] url = \"postgresql://...\"")
    unknown = set(table) - {"url"}
    if unknown:
        raise ConfigError(f"[forward] has unknown keys: {', '.join(sorted(unknown))}")
    url = table.get("url")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://"))
    ):
        raise ConfigError("[forward] url must be a postgresql:// URL")
    return site.strip(), url


def parse_config(data: dict[str, Any]) -> Config:
    """Build a Config from parsed TOML; raises ConfigError with the offending entry named."""
    detector = data.get("detector", "robust")
    if not isinstance(detector, str):
        raise ConfigError("'detector' must be a string")
    threshold = _threshold(data.get("threshold"), "top level")
    base = DEFAULT_TAGS if data.get("default_tags", True) else ()
    base = tuple(replace(tag, detector=detector, threshold=threshold) for tag in base)
    entries = data.get("tags", [])
    if not isinstance(entries, list):
        raise ConfigError("'tags' must be an array of tables: use [[tags]]")
    parsed = [_parse_tag(entry, i, detector, threshold) for i, entry in enumerate(entries)]
    names = [tag.name for tag in parsed]
    if len(names) != len(set(names)):
        raise ConfigError("a tag name appears twice in [[tags]]")
    tags = _merge_tags(base, parsed)
    if not tags:
        raise ConfigError("no tags configured (default_tags = false and no [[tags]])")
    simulator = _parse_simulator(data.get("simulator", {}))
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise ConfigError("'sources' must be an array of tables: use [[sources]]")
    try:
        alarms = parse_alarm_settings(data.get("alarms", {}))
        names = [tag.name for tag in tags]
        default = default_unit(names, [tag.name for tag in DEFAULT_TAGS])
        units = parse_units(data.get("units"), names, default)
    except (AlarmSettingsError, UnitSettingsError) as exc:
        raise ConfigError(str(exc)) from exc
    site, forward = _parse_site_and_forward(data)
    return Config(
        site=site,
        forward=forward,
        tags=tags,
        simulator=simulator,
        detector=detector,
        threshold=threshold,
        sources=tuple(sources),
        alarms=alarms,
        units=units,
    )


def load_config(path: str | Path | None) -> Config:
    """Read a TOML config file (None means the built-in tags)."""
    if path is None:
        return parse_config({})
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc
    return parse_config(data)
