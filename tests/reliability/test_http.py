"""Issue 5 over HTTP: hostile input, slow and half-open clients, kill -9 while clients post.

These need the HTTP endpoint, built in parallel: until `sensor_tui.http` is in the
build the whole module is skipped. They drive the real command over a real socket, following
the routes and limits of PRODUCT.md, so they run unchanged once the endpoint lands.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sensor_tui.http", reason="the HTTP endpoint is not in this build")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.helpers import wait_until
from tests.support.timing import time_limits


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`sensor-tui run --headless --no-sim --http` on a free loopback port."""
    work = tmp_path_factory.mktemp("http")
    port = _free_port()
    cmd = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim"]
    cmd += ["--db", str(work / "t.db"), "--http", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until(lambda: _status("127.0.0.1", port, "GET", "/health") == 200, 30)
    yield "127.0.0.1", port
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and b"Traceback" not in err, err


def _status(
    host: str,
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request(method, path, body, headers or {})
        return conn.getresponse().status
    except OSError:
        return -1
    finally:
        conn.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=30,
)
measurement = st.fixed_dictionaries(
    {},
    optional={
        "tag": st.sampled_from(["fermenter_temp", "fermenter_ph", "nope", ""]) | json_values,
        "value": st.floats(allow_nan=True) | json_values,
        "timestamp": st.text(max_size=40) | st.integers() | json_values,
    },
)
bodies = (
    st.builds(
        lambda m: json.dumps({"measurements": m}).encode(), st.lists(measurement, max_size=20)
    )
    | st.builds(lambda v: json.dumps(v).encode(), json_values)
    | st.binary(max_size=200)
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies, content_type=st.sampled_from(["application/json", "text/plain", ""]))
def test_hostile_batch_bodies_never_5xx(server, body: bytes, content_type: str) -> None:
    """Any body, any content type: 2xx or 4xx, never 5xx, never a hang."""
    host, port = server
    headers = {"Content-Type": content_type} if content_type else {}
    status = _status(host, port, "POST", "/ingest/batch", body, headers)
    assert 200 <= status < 500


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    route=st.sampled_from(["/data", "/anomalies"]),
    params=st.dictionaries(st.sampled_from(["tag", "limit", "since", "until", "x"]), st.text()),
)
def test_hostile_query_strings_never_5xx(server, route: str, params: dict) -> None:
    """Any query string on the read routes: never 5xx."""
    host, port = server
    status = _status(host, port, "GET", route + "?" + urllib.parse.urlencode(params))
    assert 200 <= status < 500


@time_limits(tight=5, guard=9)  # starved, /health would wait out its 10 s client timeout
def test_slow_and_half_open_clients_do_not_block_health(server, limit: float) -> None:
    """Clients that send half a request and stall, or hang up mid-body, starve nobody else.

    They come from another loopback address (127.0.0.2): one address may hold only a share of
    the connection slots, so it is the other clients that must still be answered."""
    host, port = server
    stalled = []
    for i in range(30):
        s = socket.create_connection((host, port), timeout=5, source_address=("127.0.0.2", 0))
        s.sendall(b"POST /ingest/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        if i % 2:
            s.close()  # half-open: hung up mid-body
        else:
            stalled.append(s)
    started = time.monotonic()
    assert _status(host, port, "GET", "/health") == 200
    assert time.monotonic() - started < limit
    for s in stalled:
        s.close()


def test_http_kill9_chaos_short(tmp_path: Path) -> None:
    """kill -9 of `sensor-tui run --headless --http` while clients post: every 2xx stored once."""
    from tests.support.chaos import chaos

    tally = chaos(tmp_path, kills=5, seconds=60, seed=3, client_name="http")
    assert tally.kills >= 1 and tally.acknowledged > 0
    assert tally.ok, (tally, tally.notes)
