"""Tags and the TOML configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensor_tui.model.tags import DEFAULT_TAGS, ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_match_the_product_table() -> None:
    config = load_config(None)
    assert [(t.name, t.unit, t.normal, t.valid) for t in config.tags] == [
        ("fermenter_temp", "°C", (35.0, 40.0), (-20.0, 150.0)),
        ("fermenter_ph", "pH", (6.5, 7.5), (0.0, 14.0)),
        ("agitator_rpm", "rpm", (300.0, 600.0), (0.0, 3000.0)),
    ]


def test_toml_adds_a_tag_and_replaces_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[tags]]
name = "machine_temperature"
unit = "°F"
normal = [60.0, 100.0]
valid = [-50.0, 300.0]

[[tags]]
name = "fermenter_ph"
unit = "pH"
normal = [5, 6]
valid = [0, 14]
""",
    )
    config = load_config(path)
    assert config.tag_names == (
        "fermenter_temp",
        "fermenter_ph",
        "agitator_rpm",
        "machine_temperature",
    )
    assert config.tag("fermenter_ph").normal == (5.0, 6.0)
    assert config.tag("machine_temperature").unit == "°F"


def test_default_tags_can_be_dropped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'default_tags = false\n[[tags]]\nname = "p1"\nnormal = [1, 2]\nvalid = [0, 3]\n',
    )
    assert load_config(path).tag_names == ("p1",)


def test_simulator_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "[simulator]\nspike_rate = 0.05\nnoise = 0.01\n")
    settings = load_config(path).simulator
    assert (settings.spike_rate, settings.noise) == (0.05, 0.01)
    assert load_config(path).tags == DEFAULT_TAGS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[tags]]\nname = "x"\nnormal = [2, 1]\nvalid = [0, 3]\n', "low < high"),
        ('[[tags]]\nname = "x"\nnormal = [1, 2]\nvalid = [1.5, 3]\n', "inside the valid range"),
        ("[[tags]]\nnormal = [1, 2]\nvalid = [0, 3]\n", "'name'"),
        ('[[tags]]\nname = "x"\nnormal = "1-2"\nvalid = [0, 3]\n', "two numbers"),
        ('[[tags]]\nname = "x"\nnormal = [1, 2]\nvalid = [-inf, 3]\n', "two numbers"),
        ("tags = 3\n", "[[tags]]"),
        ("[simulator]\nspike_rate = -1\n", "non-negative"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_config_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, text))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.toml")
