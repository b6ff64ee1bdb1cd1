"""`[[units]]` in the TOML file: the default unit, parsing, and every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensor_tui.model.tags import ConfigError, load_config
from sensor_tui.model.units import DEFAULT_WARMUP

BUILTIN = ("fermenter_temp", "fermenter_ph", "agitator_rpm")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plant.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_builtin_tags_form_one_default_unit() -> None:
    (unit,) = load_config(None).units
    assert (unit.name, unit.tags, unit.detector, unit.warmup) == (
        "fermenter",
        BUILTIN,
        "default",
        DEFAULT_WARMUP,
    )


def test_units_are_read_with_their_detector_and_warmup(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[[tags]]
name = "pump_flow"
normal = [10, 20]
valid = [0, 100]

[[units]]
name = "reactor"
tags = ["fermenter_temp", "fermenter_ph"]

[[units]]
name = "pump"
tags = ["pump_flow", "agitator_rpm"]
detector = "pca"
warmup = 120
""",
        )
    )
    assert [(u.name, u.tags, u.detector, u.warmup) for u in config.units] == [
        ("reactor", ("fermenter_temp", "fermenter_ph"), "default", DEFAULT_WARMUP),
        ("pump", ("pump_flow", "agitator_rpm"), "pca", 120),
    ]
    assert config.unit("pump") is config.units[1] and config.unit("nope") is None


def test_an_empty_units_list_switches_unit_health_off(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "units = []\n")).units == ()


def test_no_default_unit_without_the_builtin_tags(tmp_path: Path) -> None:
    text = 'default_tags = false\n[[tags]]\nname = "a"\nnormal = [0, 1]\nvalid = [0, 2]\n'
    assert load_config(write(tmp_path, text)).units == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('units = "fermenter"', "array of tables"),
        ("[[units]]\ntags = ['fermenter_temp', 'fermenter_ph']", "'name'"),
        ("[[units]]\nname = 'u'\ntags = 'fermenter_temp'", "list of tag names"),
        ("[[units]]\nname = 'u'\ntags = ['fermenter_temp']", "at least two distinct"),
        ("[[units]]\nname = 'u'\ntags = ['fermenter_temp', 'fermenter_temp']", "two distinct"),
        ("[[units]]\nname = 'u'\ntags = ['fermenter_temp', 'boiler']", "unknown tag(s) boiler"),
        ("[[units]]\nname = 'u'\ntags = ['fermenter_temp', 'fermenter_ph']\nwarmup = 3", "warmup"),
        ("[[units]]\nname = 'u'\ntags = ['fermenter_ph', 'agitator_rpm']\ndetector = 5", "dete"),
        ("[[units]]\nname = 'u'\ntags = ['fermenter_temp', 'fermenter_ph']\ncolour = 1", "colour"),
        ("[[units]]\nname = 'fermenter_ph'\ntags = ['fermenter_temp', 'fermenter_ph']", "also tag"),
        (
            "[[units]]\nname = 'u'\ntags = ['fermenter_temp', 'fermenter_ph']\n"
            "[[units]]\nname = 'u'\ntags = ['fermenter_temp', 'agitator_rpm']",
            "appears twice",
        ),
    ],
)
def test_a_bad_units_entry_is_a_config_error_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(write(tmp_path, text))
