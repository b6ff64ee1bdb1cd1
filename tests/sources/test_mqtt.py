"""Issue 13: the MQTT source against a real Mosquitto broker, in process with a real pipeline."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sensor_tui.model.counters import SourceState
from sensor_tui.model.readings import NOT_AN_OBJECT, OUT_OF_RANGE, UNKNOWN_TAG
from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.config import MqttSettings
from sensor_tui.sources.mqtt import MqttSource
from sensor_tui.sources.payloads import BAD_PAYLOAD, MISSING_TIMESTAMP, UNMAPPED_TOPIC
from sensor_tui.sources.topics import TopicMap
from tests.support.mosquitto_harness import PASSWORD, USER, Broker, Certs, Publisher
from tests.support.waiting import wait_until

from .conftest import settings


def stamp(seconds_ago: float) -> str:
    """A canonical timestamp some seconds in the past."""
    moment = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def rows(db: Path) -> list[tuple[str, str, float, str]]:
    """(tag, timestamp, value, source) of every stored reading."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT tag, timestamp, value, source FROM measurements ORDER BY id"
        ).fetchall()


def state(pipeline: Pipeline, source: MqttSource) -> SourceState:
    """The source's state as the counters (status line, /health, /metrics) see it."""
    return next(s for s in pipeline.snapshot().sources if s.name == source.name)


@pytest.fixture
def running(pipeline: Pipeline) -> Iterator[list[MqttSource]]:
    """Sources a test starts; stopped (before the pipeline) at the end."""
    started: list[MqttSource] = []
    yield started
    for source in started:
        source.stop()


def start(pipeline: Pipeline, cfg: MqttSettings, running: list[MqttSource]) -> MqttSource:
    """Start a source and wait until it is connected and subscribed."""
    source = MqttSource(cfg, pipeline)
    source.start()
    running.append(source)
    wait_until(lambda: state(pipeline, source).state == "connected")
    return source


def publish_all(port: int, messages: list[tuple[str, bytes | str]]) -> None:
    """Publish at QoS 1 and wait for every PUBACK (a subscriber exists, so none is refused)."""
    publisher = Publisher(port)
    for topic, payload in messages:
        publisher.publish(topic, payload)
    assert publisher.wait_all()
    publisher.close()
    assert publisher.refused == []


def test_every_payload_format_is_stored(
    broker: Broker, pipeline: Pipeline, db_path: Path, prefix: str, running: list[MqttSource]
) -> None:
    source = start(pipeline, settings(broker.port, (f"{prefix}/#",)), running)
    t1, t2, t3 = stamp(30), stamp(20), stamp(10)
    messages: list[tuple[str, bytes | str]] = [
        (f"{prefix}/fermenter_temp", b"37.5"),  # bare number: tag from the topic, time now
        (f"{prefix}/fermenter_ph", b" 7.25\n"),  # bare number with whitespace
        (f"{prefix}/agitator_rpm", json.dumps({"value": 450, "timestamp": t1})),
        (f"{prefix}/any", json.dumps({"tag": "fermenter_ph", "value": 7.0, "timestamp": t1})),
        (
            f"{prefix}/agitator_rpm",
            json.dumps([{"value": 451, "timestamp": t2}, {"tag": "fermenter_temp", "value": 38}]),
        ),
        (f"{prefix}/fermenter_temp", json.dumps(36.5)),  # a JSON number is a bare number too
        (f"{prefix}/fermenter_temp", b"[]"),  # an empty list: nothing to store, still acked
        (f"{prefix}/fermenter_temp", json.dumps({"value": "39.5", "timestamp": t3})),
    ]
    publish_all(broker.port, messages)
    wait_until(lambda: pipeline.snapshot().stored == 8 and source.acked == len(messages))
    stored = rows(db_path)
    assert {(tag, value) for tag, _, value, _ in stored} == {
        ("fermenter_temp", 37.5),
        ("fermenter_ph", 7.25),
        ("agitator_rpm", 450.0),
        ("fermenter_ph", 7.0),
        ("agitator_rpm", 451.0),
        ("fermenter_temp", 38.0),
        ("fermenter_temp", 36.5),
        ("fermenter_temp", 39.5),
    }
    assert ("agitator_rpm", t1, 450.0, "mqtt") in stored
    assert ("fermenter_temp", t3, 39.5, "mqtt") in stored
    assert pipeline.snapshot().rejected_total == 0
    assert state(pipeline, source).messages == len(messages)


def test_topic_mapping_template_table_and_format(
    broker: Broker, pipeline: Pipeline, db_path: Path, prefix: str, running: list[MqttSource]
) -> None:
    mapping = TopicMap.build(
        f"{prefix}/{{area}}/{{unit}}/{{quantity}}",
        "{unit}_{quantity}",
        {f"{prefix}/legacy/ph-probe-7": "fermenter_ph"},
    )
    cfg = settings(broker.port, (f"{prefix}/#",), mapping=mapping)
    start(pipeline, cfg, running)
    publish_all(
        broker.port,
        [
            (f"{prefix}/hall1/fermenter/temp", b"37.1"),  # template + format -> fermenter_temp
            (f"{prefix}/hall2/agitator/rpm", b"420"),  # -> agitator_rpm
            (f"{prefix}/legacy/ph-probe-7", b"7.1"),  # the table wins over the template
            (f"{prefix}/hall1/fermenter", b"1"),  # too few levels: no tag
            (f"{prefix}/hall1/fermenter/temp/extra", b"1"),  # too many levels: no tag
        ],
    )
    wait_until(lambda: pipeline.snapshot().stored == 3 and pipeline.snapshot().rejected_total == 2)
    assert sorted((tag, value) for tag, _, value, _ in rows(db_path)) == [
        ("agitator_rpm", 420.0),
        ("fermenter_ph", 7.1),
        ("fermenter_temp", 37.1),
    ]
    assert pipeline.snapshot().rejected == {UNMAPPED_TOPIC: 2}


def test_bad_payloads_are_rejected_with_reasons_acked_and_never_fatal(
    broker: Broker, pipeline: Pipeline, db_path: Path, prefix: str, running: list[MqttSource]
) -> None:
    cfg = settings(broker.port, (f"{prefix}/#",))
    source = start(pipeline, cfg, running)
    bad: list[tuple[str, bytes | str]] = [
        (f"{prefix}/fermenter_temp", b"garbage"),
        (f"{prefix}/fermenter_temp", b"nan"),
        (f"{prefix}/fermenter_temp", b"\xff\xfe\x00"),
        (f"{prefix}/fermenter_temp", json.dumps("37.5")),
        (f"{prefix}/fermenter_temp", json.dumps(True)),
        (f"{prefix}/fermenter_temp", b'{"value": 1'),
        (f"{prefix}/fermenter_temp", json.dumps([1.0, {"value": 37.0, "timestamp": stamp(5)}])),
        (f"{prefix}/no_such_tag", b"1.0"),
        (f"{prefix}/fermenter_temp", b"1e9"),
        (f"{prefix}/fermenter_temp", b""),
    ]
    publish_all(broker.port, bad)
    expected = {BAD_PAYLOAD: 7, NOT_AN_OBJECT: 1, UNKNOWN_TAG: 1, OUT_OF_RANGE: 1}
    wait_until(lambda: pipeline.snapshot().rejected == expected and source.acked == len(bad))
    assert pipeline.snapshot().stored == 1  # the good item of the mixed list
    # Still alive, and nothing comes back: the rejected messages were acknowledged.
    source.stop()
    again = start(pipeline, cfg, running)
    publish_all(broker.port, [(f"{prefix}/fermenter_temp", b"37.0")])
    wait_until(lambda: pipeline.snapshot().stored == 2 and again.acked == 1)
    assert pipeline.snapshot().rejected == expected


def test_require_timestamp_turns_timestamp_less_messages_away(
    broker: Broker, pipeline: Pipeline, prefix: str, running: list[MqttSource]
) -> None:
    cfg = settings(broker.port, (f"{prefix}/#",), require_timestamp=True)
    start(pipeline, cfg, running)
    publish_all(
        broker.port,
        [
            (f"{prefix}/fermenter_temp", b"37.0"),
            (f"{prefix}/fermenter_temp", json.dumps({"value": 37.0, "timestamp": stamp(1)})),
        ],
    )
    wait_until(lambda: pipeline.snapshot().stored == 1)
    wait_until(lambda: pipeline.snapshot().rejected == {MISSING_TIMESTAMP: 1})


def test_messages_sent_while_the_monitor_is_away_arrive_at_its_next_start(
    broker: Broker, pipeline: Pipeline, db_path: Path, prefix: str, running: list[MqttSource]
) -> None:
    cfg = settings(broker.port, (f"{prefix}/#",))
    start(pipeline, cfg, running).stop()  # the session (and its subscription) stays on the broker
    keys = [stamp(100 - i) for i in range(200)]
    publish_all(
        broker.port,
        [(f"{prefix}/agitator_rpm", json.dumps({"value": 400, "timestamp": k})) for k in keys],
    )
    source = start(pipeline, cfg, running)
    wait_until(lambda: pipeline.snapshot().stored == 200 and source.acked == 200)
    assert sorted(ts for _, ts, _, _ in rows(db_path)) == keys


def test_broker_restart_is_survived_with_the_state_shown(
    own_broker: Broker, pipeline: Pipeline, prefix: str, running: list[MqttSource]
) -> None:
    cfg = settings(own_broker.port, (f"{prefix}/#",))
    source = start(pipeline, cfg, running)
    publish_all(own_broker.port, [(f"{prefix}/fermenter_temp", b"37.0")])
    wait_until(lambda: pipeline.snapshot().stored == 1)
    own_broker.stop()
    wait_until(lambda: state(pipeline, source).state == "reconnecting")
    assert "connection lost" in state(pipeline, source).error
    own_broker.start()
    wait_until(lambda: state(pipeline, source).state == "connected")
    publish_all(own_broker.port, [(f"{prefix}/fermenter_temp", b"37.5")])
    wait_until(lambda: pipeline.snapshot().stored == 2)
    # kill -9 of the broker: the same story
    own_broker.kill()
    wait_until(lambda: state(pipeline, source).state == "reconnecting")
    own_broker.start()
    wait_until(lambda: state(pipeline, source).state == "connected")
    publish_all(own_broker.port, [(f"{prefix}/fermenter_temp", b"38.0")])
    wait_until(lambda: pipeline.snapshot().stored == 3)


def test_unreachable_broker_is_retried_with_the_reason_shown(
    pipeline: Pipeline, running: list[MqttSource]
) -> None:
    from tests.support.mosquitto_harness import free_port

    source = MqttSource(settings(free_port(), ("x/#",)), pipeline)
    source.start()
    running.append(source)
    wait_until(lambda: state(pipeline, source).state == "reconnecting")
    assert "refused" in state(pipeline, source).error.lower()


def test_tls_with_a_client_certificate(
    broker: Broker, certs: Certs, pipeline: Pipeline, prefix: str, running: list[MqttSource]
) -> None:
    tls = {"tls": True, "ca": str(certs.ca)}
    client_cert = {"cert": str(certs.client_cert), "key": str(certs.client_key)}
    source = start(
        pipeline, settings(broker.tls_port, (f"{prefix}/#",), **tls, **client_cert), running
    )
    publish_all(broker.port, [(f"{prefix}/fermenter_temp", b"37.0")])
    wait_until(lambda: pipeline.snapshot().stored == 1 and source.acked == 1)
    # No client certificate: the broker closes the connection; shown as an error.
    bare = MqttSource(settings(broker.tls_port, (f"{prefix}/#",), **tls), pipeline)
    bare.start()
    running.append(bare)
    wait_until(lambda: state(pipeline, bare).state == "error")
    # A CA that did not sign the broker's certificate: verification fails, shown as an error.
    wrong_ca = {"tls": True, "ca": str(certs.client_cert), **client_cert}
    doubter = MqttSource(settings(broker.tls_port, (f"{prefix}/#",), **wrong_ca), pipeline)
    doubter.start()
    running.append(doubter)
    wait_until(lambda: state(pipeline, doubter).state == "error")
    assert "certificate verify failed" in state(pipeline, doubter).error


def test_password_authentication(
    broker: Broker, pipeline: Pipeline, prefix: str, running: list[MqttSource]
) -> None:
    good = settings(broker.auth_port, (f"{prefix}/#",), username=USER, password=PASSWORD)
    source = start(pipeline, good, running)
    publish_all(broker.port, [(f"{prefix}/fermenter_temp", b"37.0")])
    wait_until(lambda: pipeline.snapshot().stored == 1 and source.acked == 1)
    bad = settings(broker.auth_port, (f"{prefix}/#",), username=USER, password="wrong")
    refused = MqttSource(bad, pipeline)
    refused.start()
    running.append(refused)
    wait_until(lambda: state(pipeline, refused).state == "error")
    assert "refused" in state(pipeline, refused).error
    anonymous = MqttSource(settings(broker.auth_port, (f"{prefix}/#",)), pipeline)
    anonymous.start()
    running.append(anonymous)
    wait_until(lambda: state(pipeline, anonymous).state == "error")
