"""The historian's fixtures: one throwaway PostgreSQL cluster per test session, a fresh database
per test. Without PostgreSQL the tests skip with the reason; under CI (CI=true) they fail, so a
CI machine that lost PostgreSQL cannot pass by skipping."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.support.postgres import Cluster, start_cluster

_names = itertools.count()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{reason}: CI must run the historian tests, not skip them")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A started cluster for the whole session, removed at the end."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[historian]')")
    try:
        cluster = start_cluster()
    except LookupError as exc:
        _unavailable(str(exc))
    yield cluster
    cluster.destroy()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """The URL of an empty database of its own (tests never see each other's rows)."""
    return pg_cluster.create_database(f"t{os.getpid()}_{next(_names)}")
