"""A source's state carries its short reason: on the status line, in /health, at exit; and a
lost OPC UA connection is seen, and recovered, promptly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sensor_tui.model.counters import Snapshot, SourceState
from sensor_tui.pipeline import Pipeline
from sensor_tui.pipeline.summary import source_lines
from sensor_tui.sources.config import Backoff
from sensor_tui.sources.opcua import OpcUaSource
from sensor_tui.tui.status import MonitorState, status_markup
from tests.support.mosquitto_harness import free_port
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

from .opcua_server import OpcServer
from .test_opcua import begin, settings, stored


@pytest.fixture
def running(pipeline: Pipeline) -> Iterator[list[OpcUaSource]]:
    started: list[OpcUaSource] = []
    yield started
    for source in started:
        source.stop()


def test_the_reason_is_on_the_status_line_in_health_and_in_the_exit_summary() -> None:
    now = time.time()
    sources = (
        SourceState("broker a", "mqtt", "error", "bad user name or password", 0, "auth refused"),
        SourceState("broker b", "mqtt", "error", "[SSL] verify failed", 0, "CA not trusted"),
        SourceState(
            "plc 1", "opcua", "connected", "feed: BadNodeIdUnknown", 0, "node unknown (1 of 4 tags)"
        ),
        SourceState("plc 2", "opcua", "reconnecting", "refused", 0, "server down", now - 12),
        SourceState("plc 3", "opcua", "connected"),
    )
    text = status_markup(
        MonitorState(False, False, False, 0, 300, "x.db"), Snapshot(sources=sources)
    )
    for words in ("auth refused", "CA not trusted", "node unknown (1 of 4 tags)"):
        assert words in text
    assert "plc 2 ⟳ server down 12 s" in text
    health = Snapshot(sources=sources).as_dict()["sources"]
    assert [s["reason"] for s in health] == [
        "auth refused", "CA not trusted", "node unknown (1 of 4 tags)", "server down 12 s", ""
    ]  # fmt: skip
    lines = source_lines(sources)
    assert len(lines) == 4 and lines[0].startswith("Source broker a: auth refused")
    assert SourceState("x", "opcua", "reconnecting", reason="server down",
                       down_since=now - 600).short_reason(now) == "server down 10 min"  # fmt: skip


@pytest.mark.timing
def test_a_lost_connection_is_seen_within_2_s_and_the_first_reading_is_in_within_3_s(
    pipeline: Pipeline, db_path: Path, running: list[OpcUaSource]
) -> None:
    from datetime import UTC, datetime

    server = OpcServer(free_port()).start()
    proxy = TcpProxy(free_port(), server.port).start()
    try:
        url = server.url.replace(f":{server.port}/", f":{proxy.port}/")
        cfg = settings(server, ("fermenter_temp",), url=url, backoff=Backoff())  # the defaults
        source = begin(pipeline, cfg, running)
        wait_until(lambda: [s.state for s in pipeline.snapshot().sources] == ["connected"])
        cut = time.monotonic()
        proxy.cut()
        wait_until(lambda: pipeline.snapshot().sources[0].state == "reconnecting", timeout=2)
        assert time.monotonic() - cut < 2
        time.sleep(25)  # long enough for the backoff to grow to 8 s and more
        proxy.restore()
        back = time.monotonic()
        when = datetime.now(UTC)
        wait_until(lambda: pipeline.snapshot().sources[0].state == "connected", timeout=3)
        server.write("fermenter_temp", 37.5, when)
        wait_until(lambda: any(r[2] == 37.5 for r in stored(db_path)), timeout=3)
        assert time.monotonic() - back < 3
        source.stop()
    finally:
        for source in running:
            source.stop()
        proxy.close()
        server.stop()
