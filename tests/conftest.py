"""Shared fixtures: a temporary database, the default configuration, a running pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sensor_tui.pipeline import Pipeline, RetryPolicy
from sensor_tui.tags import Config, load_config

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.05)
"""A retry budget of about a tenth of a second, so outage tests are quick."""


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """The short retry budget."""
    return FAST_RETRY


@pytest.fixture
def config() -> Config:
    """The three built-in tags."""
    return load_config(None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file that does not exist yet."""
    return tmp_path / "sensor_data.db"


@pytest.fixture
def pipeline(config: Config, db_path: Path) -> Iterator[Pipeline]:
    """A started pipeline on a fresh database with a short retry budget; stopped afterwards."""
    pipe = Pipeline(config, db_path, retry=FAST_RETRY)
    pipe.start()
    yield pipe
    pipe.stop()
