"""Connection slots: one client address cannot take them all, and a half-sent head gives its
slot back within the head deadline. Real sockets on loopback; a second source address
(127.0.0.2, which Linux routes to lo) plays the plant's other clients."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sensor_tui.http import Limits, start_server
from sensor_tui.http.server import HttpServer
from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import Pipeline
from tests.conftest import FAST_RETRY

HALF_HEAD = b"GET /data HTTP/1.1\r\nHost: x\r\nX-Never-Ends: "


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    pipeline = Pipeline(load_config(None), tmp_path / "s.db", tmp_path / "dead.jsonl", FAST_RETRY)
    pipeline.start()
    yield pipeline
    pipeline.stop()


def serve(pipeline: Pipeline, limits: Limits) -> HttpServer:
    return start_server(pipeline, "127.0.0.1:0", token="s3cret-token", limits=limits)


def half_sent_heads(server: HttpServer, count: int) -> list[socket.socket]:
    """`count` connections from 127.0.0.1, each with a head that never ends."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(HALF_HEAD)
        socks.append(sock)
    return socks


def health_from(server: HttpServer, source: str) -> int:
    """Status of GET /health sent from `source` (a loopback address of our choosing)."""
    with socket.create_connection(
        ("127.0.0.1", server.port), timeout=5, source_address=(source, 0)
    ) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_half_sent_heads_from_one_address_leave_slots_for_others(pipeline: Pipeline) -> None:
    server = serve(pipeline, Limits(head_timeout=30.0))  # the bound alone, not the deadline
    socks = half_sent_heads(server, 70)
    try:
        time.sleep(0.2)  # let the accept thread take all 70
        assert health_from(server, "127.0.0.2") == 200
        assert health_from(server, "127.0.0.3") == 200
    finally:
        for sock in socks:
            sock.close()
        server.stop()


def test_a_half_sent_head_loses_its_slot_at_the_head_deadline(pipeline: Pipeline) -> None:
    server = serve(pipeline, Limits(max_per_client=2, head_timeout=0.5, idle_timeout=30.0))
    socks = half_sent_heads(server, 2)
    try:
        start = time.monotonic()
        for sock in socks:
            sock.settimeout(10)
            while sock.recv(4096):
                pass
        assert time.monotonic() - start < 5  # the idle timeout (30 s) did not apply
        assert health_from(server, "127.0.0.1") == 200
    finally:
        for sock in socks:
            sock.close()
        server.stop()


def test_an_unauthorized_request_does_not_keep_its_connection(pipeline: Pipeline) -> None:
    server = serve(pipeline, Limits(idle_timeout=30.0))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /data HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while chunk := sock.recv(65536):  # returns b"" only when the server closes
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 401")
    finally:
        server.stop()
