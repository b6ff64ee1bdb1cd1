"""Issue 13: the OPC UA source against a real asyncua server started in the test process."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asyncua import ua

from sensor_tui.model.readings import OUT_OF_RANGE
from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.config import OpcUaSettings
from sensor_tui.sources.opcua import OpcUaSource
from sensor_tui.sources.payloads import BAD_STATUS
from tests.support.mosquitto_harness import free_port
from tests.support.waiting import wait_until

from .conftest import FAST
from .opcua_server import NODES, PASSWORD, USER, OpcServer, make_pki


def settings(
    server: OpcServer, tags: tuple[str, ...] = tuple(NODES), **changes: object
) -> OpcUaSettings:
    base: dict[str, object] = {
        "name": f"plc {server.port}",
        "url": server.url,
        "nodes": {tag: server.node_id(tag) for tag in tags},
        "publishing_interval": 50.0,
        "backoff": FAST,
    }
    base.update(changes)
    return OpcUaSettings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server() -> Iterator[OpcServer]:
    """One plain server for the tests that do not stop it (a start costs seconds)."""
    process = OpcServer(free_port()).start()
    yield process
    process.stop()


@pytest.fixture
def running(pipeline: Pipeline) -> Iterator[list[OpcUaSource]]:
    started: list[OpcUaSource] = []
    yield started
    for source in started:
        source.stop()


def stop_all(sources: list[OpcUaSource]) -> None:
    for source in sources:
        source.stop()


def begin(pipeline: Pipeline, cfg: OpcUaSettings, running: list[OpcUaSource]) -> OpcUaSource:
    source = OpcUaSource(cfg, pipeline)
    source.start()
    running.append(source)
    return source


def state(pipeline: Pipeline, source: OpcUaSource) -> str:
    return next(s.state for s in pipeline.snapshot().sources if s.name == source.name)


def stored(db: Path) -> list[tuple[str, str, float, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT tag, timestamp, value, source FROM measurements").fetchall()


def canonical(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def test_opcua_data_changes_are_stored_with_source_timestamps(
    server: OpcServer, pipeline: Pipeline, db_path: Path, running: list[OpcUaSource]
) -> None:
    source = begin(pipeline, settings(server), running)
    wait_until(lambda: state(pipeline, source) == "connected")
    wait_until(lambda: len(stored(db_path)) == 3)  # each node's current value comes first
    base = datetime.now(UTC) - timedelta(minutes=5)
    when = [base + timedelta(seconds=i, microseconds=123) for i in range(3)]
    server.write("fermenter_temp", 37.25, when[0])
    server.write("fermenter_ph", 7.1, when[1])
    server.write("agitator_rpm", 455.0, when[2])
    wait_until(lambda: len(stored(db_path)) == 6)
    rows = set(stored(db_path))
    assert ("fermenter_temp", canonical(when[0]), 37.25, "opcua") in rows
    assert ("fermenter_ph", canonical(when[1]), 7.1, "opcua") in rows
    assert ("agitator_rpm", canonical(when[2]), 455.0, "opcua") in rows
    # A value the server marks Bad is rejected with its status; an impossible one by the range.
    before = pipeline.snapshot().rejected
    server.write(
        "fermenter_temp", 37.0, base + timedelta(seconds=9), ua.StatusCodes.BadSensorFailure
    )
    server.write("fermenter_temp", 9999.0, base + timedelta(seconds=10))
    wait_until(lambda: pipeline.snapshot().rejected.get(BAD_STATUS, 0) == 1)
    wait_until(
        lambda: pipeline.snapshot().rejected.get(OUT_OF_RANGE, 0) == before.get(OUT_OF_RANGE, 0) + 1
    )


def test_opcua_server_restart_reconnects(
    pipeline: Pipeline, db_path: Path, running: list[OpcUaSource]
) -> None:
    server = OpcServer(free_port()).start()
    try:
        source = begin(pipeline, settings(server, ("fermenter_temp",)), running)
        wait_until(lambda: state(pipeline, source) == "connected")
        server.stop()
        wait_until(lambda: state(pipeline, source) == "reconnecting")
        server.start()
        wait_until(lambda: state(pipeline, source) == "connected", timeout=30)
        when = datetime.now(UTC) - timedelta(seconds=30)
        server.write("fermenter_temp", 38.5, when)
        wait_until(lambda: ("fermenter_temp", canonical(when), 38.5, "opcua") in stored(db_path))
    finally:
        server.stop()


def test_opcua_user_and_password(pipeline: Pipeline, running: list[OpcUaSource]) -> None:
    server = OpcServer(free_port(), auth=True).start()
    try:
        good = begin(pipeline, settings(server, username=USER, password=PASSWORD), running)
        wait_until(lambda: state(pipeline, good) == "connected")
        bad = begin(
            pipeline, settings(server, name="plc wrong", username=USER, password="no"), running
        )
        wait_until(lambda: state(pipeline, bad) == "error")
        error = next(s.error for s in pipeline.snapshot().sources if s.name == "plc wrong")
        assert "Identity" in error or "UserAccess" in error
    finally:
        stop_all(running)  # before the server: it waits for its clients to go
        server.stop()


def test_opcua_sign_and_encrypt(
    tmp_path: Path, pipeline: Pipeline, db_path: Path, running: list[OpcUaSource]
) -> None:
    import asyncio

    server = OpcServer(free_port(), secure_dir=tmp_path / "server-pki").start()
    try:
        cert, key = asyncio.run(make_pki(tmp_path / "client-pki", "client"))
        secure = settings(
            server,
            ("fermenter_temp",),
            security_mode="SignAndEncrypt",
            security_policy="Basic256Sha256",
            cert=str(cert),
            key=str(key),
        )
        source = begin(pipeline, secure, running)
        wait_until(lambda: state(pipeline, source) == "connected", timeout=30)
        when = datetime.now(UTC) - timedelta(seconds=5)
        server.write("fermenter_temp", 36.75, when)
        wait_until(lambda: ("fermenter_temp", canonical(when), 36.75, "opcua") in stored(db_path))
        begin(pipeline, settings(server, ("fermenter_temp",), name="plc plain"), running)
        wait_until(
            lambda: (
                next(s.state for s in pipeline.snapshot().sources if s.name == "plc plain")
                in ("error", "reconnecting")
            )
        )
    finally:
        stop_all(running)
        server.stop()


def test_opcua_bad_node_id_is_reported(
    server: OpcServer, pipeline: Pipeline, running: list[OpcUaSource]
) -> None:
    cfg = settings(server, nodes={"fermenter_temp": "ns=2;s=No.Such.Node"})
    source = begin(pipeline, cfg, running)
    wait_until(lambda: state(pipeline, source) == "error")
    found = next(s for s in pipeline.snapshot().sources if s.name == source.name)
    assert "fermenter_temp: BadNodeIdUnknown" in found.error  # by name, not a number
    assert found.reason == "node unknown (1 of 1 tags)"


def test_opcua_source_from_a_config_file_through_the_monitor(
    server: OpcServer, tmp_path: Path
) -> None:
    from sensor_tui.model.tags import load_config
    from sensor_tui.runtime.monitor import Monitor, MonitorOptions
    from sensor_tui.sources.config import parse_sources

    path = tmp_path / "plant.toml"
    path.write_text(
        f'[[sources]]\ntype = "opcua"\nname = "plc"\nurl = "{server.url}"\n'
        "publishing_interval = 50\n"
        f'nodes = {{ agitator_rpm = "{server.node_id("agitator_rpm")}" }}\n'
    )
    config = load_config(path)
    db = tmp_path / "m.db"
    options = MonitorOptions(
        db_path=db, simulate=False, sources=tuple(parse_sources(config.sources))
    )
    monitor = Monitor(config, options)
    monitor.start()
    try:
        wait_until(lambda: [s.state for s in monitor.pipeline.snapshot().sources] == ["connected"])
        when = datetime.now(UTC) - timedelta(seconds=3)
        server.write("agitator_rpm", 432.0, when)
        wait_until(lambda: ("agitator_rpm", canonical(when), 432.0, "opcua") in stored(db))
    finally:
        monitor.stop()
    assert [s.state for s in monitor.pipeline.snapshot().sources] == ["stopped"]
