"""An MQTT source's short reason tells a bad password from a bad CA from a broker that is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.mqtt import MqttSource
from tests.support.mosquitto_harness import USER, Broker, Certs, free_port
from tests.support.waiting import wait_until

from .conftest import settings


@pytest.fixture
def running(pipeline: Pipeline) -> Iterator[list[MqttSource]]:
    started: list[MqttSource] = []
    yield started
    for source in started:
        source.stop()


def reason_of(pipeline: Pipeline, source: MqttSource) -> str:
    return next(s.short_reason() for s in pipeline.snapshot().sources if s.name == source.name)


def begin(pipeline: Pipeline, running: list[MqttSource], **changes: object) -> MqttSource:
    port = changes.pop("port")
    source = MqttSource(settings(port, ("plant/#",), **changes), pipeline)  # type: ignore[arg-type]
    source.start()
    running.append(source)
    return source


def test_auth_refused_ca_not_trusted_and_server_down(
    broker: Broker, certs: Certs, pipeline: Pipeline, running: list[MqttSource]
) -> None:
    wrong_password = begin(
        pipeline, running, port=broker.auth_port, username=USER, password="wrong"
    )
    wrong_ca = begin(pipeline, running, port=broker.tls_port, tls=True, ca=str(certs.client_cert))
    nobody = begin(pipeline, running, port=free_port())
    wait_until(lambda: reason_of(pipeline, wrong_password) == "auth refused")
    wait_until(lambda: reason_of(pipeline, wrong_ca) == "CA not trusted")
    wait_until(lambda: reason_of(pipeline, nobody).startswith("server down "))
