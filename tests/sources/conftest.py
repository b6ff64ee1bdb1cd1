"""Fixtures for the source tests: a real Mosquitto broker per session (and per test when a test
restarts it), certificates made with openssl, a pipeline on a fresh database.

Without mosquitto the broker tests skip with the reason; under CI (CI=true) they fail instead,
because `.ci/run` installs the broker and a skip there would hide a missing install step.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sensor_tui.sources.config import Backoff, MqttSettings
from sensor_tui.sources.topics import TopicMap
from tests.support.mosquitto_harness import Broker, Certs, find_mosquitto, make_certs

FAST = Backoff(0.05, 0.5)
"""Reconnect backoff for tests: a restart is noticed within a second."""


def need_mosquitto() -> None:
    """Skip (or under CI fail) when the broker is not installed."""
    if find_mosquitto() is None:
        reason = "mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{reason}: CI must run the broker tests, not skip them")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    need_mosquitto()
    return make_certs(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory, certs: Certs) -> Iterator[Broker]:
    """One broker for the session (tests use their own topics and client ids)."""
    process = Broker(tmp_path_factory.mktemp("broker"), certs).start()
    yield process
    process.stop()


@pytest.fixture
def own_broker(tmp_path: Path, certs: Certs) -> Iterator[Broker]:
    """A broker of the test's own, for tests that stop, restart or kill it."""
    process = Broker(tmp_path / "broker", certs).start()
    yield process
    process.kill()


@pytest.fixture
def prefix() -> str:
    """A topic root no other test uses."""
    return f"t{uuid.uuid4().hex[:8]}"


def settings(port: int, topics: tuple[str, ...], **changes: object) -> MqttSettings:
    """MQTT settings for a test: a unique client id, fast reconnects."""
    base: dict[str, object] = {
        "name": f"mqtt test {uuid.uuid4().hex[:6]}",
        "host": "127.0.0.1",
        "port": port,
        "topics": topics,
        "mapping": TopicMap(),
        "client_id": f"sensor-tui-test-{uuid.uuid4().hex[:10]}",
        "backoff": FAST,
    }
    base.update(changes)
    return MqttSettings(**base)  # type: ignore[arg-type]
