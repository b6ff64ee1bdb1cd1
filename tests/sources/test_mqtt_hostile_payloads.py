"""Hostile MQTT payloads against a real Mosquitto broker: a message carries at most as many
readings as an HTTP batch, and JSON nested past the parser's depth is a counted rejection with
a short log line, not a traceback per message."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.mqtt import MqttSource
from sensor_tui.sources.payloads import BAD_PAYLOAD, MAX_READINGS
from tests.support.mosquitto_harness import Broker, Publisher
from tests.support.waiting import wait_until

from .conftest import settings


@pytest.fixture
def source(broker: Broker, pipeline: Pipeline, prefix: str) -> Iterator[MqttSource]:
    source = MqttSource(settings(broker.port, (f"{prefix}/#",)), pipeline)
    source.start()
    wait_until(lambda: any(s.state == "connected" for s in pipeline.snapshot().sources))
    yield source
    source.stop()


def publish(port: int, topic: str, payloads: list[bytes]) -> None:
    publisher = Publisher(port)
    for payload in payloads:
        publisher.publish(topic, payload)
    assert publisher.wait_all()
    publisher.close()


def test_a_message_with_more_readings_than_an_http_batch_is_refused_whole(
    broker: Broker, pipeline: Pipeline, prefix: str, source: MqttSource
) -> None:
    too_many = json.dumps([{"value": 37.0}] * (MAX_READINGS + 1)).encode()
    publish(broker.port, f"{prefix}/fermenter_temp", [too_many, b"37.5"])
    wait_until(lambda: source.acked == 2)
    assert pipeline.snapshot().rejected == {BAD_PAYLOAD: 1}
    assert pipeline.snapshot().stored == 1


def test_deeply_nested_json_is_rejected_without_a_traceback_each_time(
    broker: Broker,
    pipeline: Pipeline,
    prefix: str,
    source: MqttSource,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    with caplog.at_level(logging.WARNING):
        publish(broker.port, f"{prefix}/fermenter_temp", [deep] * 5)
        wait_until(lambda: source.acked == 5)
    assert pipeline.snapshot().rejected == {BAD_PAYLOAD: 5}
    assert [r for r in caplog.records if r.exc_info] == []
    assert len(caplog.records) <= 2  # the one-a-second rejection line, not one per message
    assert any("nested too deeply" in r.getMessage() for r in caplog.records)


def test_a_bare_number_with_underscores_is_not_read_as_another_number(
    broker: Broker, pipeline: Pipeline, prefix: str, source: MqttSource
) -> None:
    publish(broker.port, f"{prefix}/fermenter_temp", [b"3_7", b"37.5"])
    wait_until(lambda: source.acked == 2)
    assert pipeline.snapshot().rejected == {BAD_PAYLOAD: 1}
    assert pipeline.snapshot().stored == 1
