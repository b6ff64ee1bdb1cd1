"""A database with alarms for the panel tests: made through the real pipeline, quiet (only the
injected faults alarm), about to be opened by the real app."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sensor_tui.model.tags import Config, Tag
from sensor_tui.pipeline import Pipeline
from tests.alarm_helpers import quiet, scenario, store_stream

FAULTS = {
    150: ("fermenter_ph", "spike", 1),
    300: ("fermenter_temp", "stuck", 100),
    500: ("agitator_rpm", "spike", 1),
}
LONG_TAG = Tag("machine_temperature", "°C", (60.0, 90.0), (0.0, 150.0))


def alarm_database(config: Config, db: Path) -> Path:
    """Three alarms (a spike on each of two tags, a stuck sensor), stored."""
    readings, events = scenario(config, FAULTS, 650)
    pipe = Pipeline(quiet(config), db)
    pipe.start()
    store_stream(pipe, readings, events)
    pipe.stop()
    return db


@pytest.fixture
def alarm_db(config: Config, db_path: Path) -> Path:
    """The built-in tags with three stored alarms."""
    return alarm_database(config, db_path)


@pytest.fixture
def long_tag_config(config: Config) -> Config:
    """The built-in tags and one with a long name (as NAB's are)."""
    return replace(config, tags=(*config.tags, LONG_TAG))
