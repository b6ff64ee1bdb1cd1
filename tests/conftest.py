"""Shared fixtures and helpers: real SQLite files, real pipelines, the real monitor."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings

from sensor_tui.model.tags import Config, load_config
from sensor_tui.pipeline import Pipeline, RetryPolicy
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from sensor_tui.sources.simulator import generate_scenario

# CI explores a fixed set of fuzz examples, so a submission's result does not depend on luck;
# a developer's run keeps exploring new ones (that is how the "²" limit bug was found).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.05)
"""A retry budget of about a tenth of a second, so outage tests are quick."""

SNAPSHOT_START = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
"""Start of the fixed scenario the snapshot tests draw (seed 7, 15 minutes at 1 Hz)."""
SNAPSHOT_SECONDS = 900


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


def fill_database(
    db: Path,
    config: Config,
    start: datetime,
    seconds: int,
    seed: int = 7,
    faults_per_hour: float = 6.0,
) -> None:
    """Store a labelled scenario through the real pipeline (detection included)."""
    readings, events = generate_scenario(
        config, seed=seed, readings_per_tag=seconds, start=start, faults_per_hour=faults_per_hour
    )
    pipeline = Pipeline(config, db)
    pipeline.start()
    for event in events:
        pipeline.record_event(event)
    pipeline.submit_readings(readings).result(timeout=60)
    pipeline.stop()


def make_monitor(
    db: Path,
    config: Config,
    simulate: bool = True,
    interval: float = 0.05,
    seed: int = 3,
) -> Monitor:
    """A monitor on a test database with a fast simulator and a fast retry policy."""
    options = MonitorOptions(db_path=db, interval=interval, simulate=simulate, seed=seed)
    return Monitor(config, options, retry=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1))


def run(coro) -> None:
    """Run an async test body (no asyncio plugin needed)."""
    asyncio.run(coro)


def recent_start(seconds_ago: float) -> datetime:
    """A scenario start `seconds_ago` before now, on a whole second."""
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).replace(microsecond=0)
