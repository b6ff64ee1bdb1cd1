"""The HTTP endpoint over a real socket on 127.0.0.1, a real Pipeline, a real SQLite file.

Every route, every documented error, the token rule, the durability rule during an outage,
and the slow-client timeouts.
"""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sensor_tui.http import Limits, is_loopback, parse_bind, start_server
from sensor_tui.http import routes as http_routes
from sensor_tui.http.server import HttpServer
from sensor_tui.model.readings import format_ts
from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import Pipeline, RetryPolicy
from sensor_tui.storage import Reader
from tests.support.timing import time_limits
from tests.support.waiting import wait_until

JSON_HEADERS = {"Content-Type": "application/json"}
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.1)


def ts(seconds_ago: float) -> str:
    """A canonical timestamp `seconds_ago` before now."""
    return format_ts(datetime.now(UTC) - timedelta(seconds=seconds_ago))


def make_pipeline(tmp_path: Path, retry: RetryPolicy = FAST_RETRY, **paths: Any) -> Pipeline:
    pipeline = Pipeline(
        load_config(None),
        paths.get("db", tmp_path / "sensor_data.db"),
        paths.get("dead_letter", tmp_path / "failed_measurements.jsonl"),
        retry,
    )
    pipeline.start()
    return pipeline


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    pipeline = make_pipeline(tmp_path)
    yield pipeline
    pipeline.stop()


@pytest.fixture
def server(pipeline: Pipeline) -> Iterator[HttpServer]:
    server = start_server(pipeline, "127.0.0.1:0")
    yield server
    server.stop()


class Client:
    """A keep-alive JSON client on one http.client connection."""

    def __init__(self, server: HttpServer, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, http.client.HTTPResponse, Any]:
        headers = dict(JSON_HEADERS if body is not None else {}, **(headers or {}))
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        text = response.read()
        kind = response.getheader("Content-Type") or ""
        parsed = json.loads(text) if kind.startswith("application/json") and text else text
        return response.status, response, parsed

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        status, _, body = self.call("GET", path, **kw)
        return status, body

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, _, answer = self.call("POST", path, body, **kw)
        return status, answer


@pytest.fixture
def client(server: HttpServer) -> Iterator[Client]:
    client = Client(server)
    yield client
    client.conn.close()


def raw_exchange(server: HttpServer, data: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes, return everything the server answers before it closes or `wait` passes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def db_rows(
    pipeline: Pipeline, sql: str = "SELECT tag, timestamp, value, source FROM measurements"
) -> list[tuple[Any, ...]]:
    """Rows as another process would see them: a fresh connection (committed data only)."""
    conn = sqlite3.connect(pipeline.db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# -- ingest ----------------------------------------------------------------------------------


def test_batch_keeps_good_readings_and_lists_each_rejected_index(
    client: Client, pipeline: Pipeline
) -> None:
    measurements = [
        {"timestamp": ts(10), "tag": "fermenter_temp", "value": 37.2},
        {"timestamp": ts(10), "tag": "no_such_tag", "value": 1.0},
        {"timestamp": ts(9), "tag": "fermenter_ph", "value": "NaN"},
        {"timestamp": ts(9), "tag": "fermenter_ph", "value": 1e999},
        {"timestamp": "yesterday-ish", "tag": "fermenter_ph", "value": 7.0},
        {"timestamp": ts(8), "tag": "agitator_rpm", "value": "fast"},
        {"timestamp": ts(8), "tag": "agitator_rpm", "value": True},
        {"timestamp": ts(8), "tag": "agitator_rpm"},
        "not an object",
        {"timestamp": ts(-3600), "tag": "agitator_rpm", "value": 400},
        {"timestamp": ts(7), "tag": "agitator_rpm", "value": 5000},
        {"tag": "fermenter_ph", "value": 7.1},  # no timestamp: now
        {"timestamp": 1_700_000_000, "tag": "agitator_rpm", "value": "450.5"},
    ]
    status, answer = client.post("/ingest/batch", {"measurements": measurements})
    assert status == 200
    assert answer["accepted"] == 3
    assert answer["rejected"] == [
        {"index": 1, "reason": "unknown tag"},
        {"index": 2, "reason": "value is not finite"},
        {"index": 3, "reason": "value is not finite"},
        {"index": 4, "reason": "bad timestamp"},
        {"index": 5, "reason": "value is not a number"},
        {"index": 6, "reason": "value is not a number"},
        {"index": 7, "reason": "missing value"},
        {"index": 8, "reason": "measurement is not an object"},
        {"index": 9, "reason": "timestamp in the future"},
        {"index": 10, "reason": "value out of valid range"},
    ]
    # durable before the answer: a fresh connection already sees the committed rows
    rows = db_rows(pipeline)
    assert sorted((r[0], r[2], r[3]) for r in rows) == [
        ("agitator_rpm", 450.5, "http"),
        ("fermenter_ph", 7.1, "http"),
        ("fermenter_temp", 37.2, "http"),
    ]
    assert ("agitator_rpm", "2023-11-14T22:13:20.000000Z") in {(r[0], r[1]) for r in rows}


def test_single_ingest_answers_like_a_batch_and_400s_a_rejected_reading(client: Client) -> None:
    status, answer = client.post("/ingest", {"tag": "fermenter_temp", "value": 36.0})
    assert (status, answer["accepted"], answer["rejected"]) == (200, 1, [])
    status, answer = client.post("/ingest", {"tag": "fermenter_temp", "value": 999})
    assert status == 400
    assert answer["error"] == "value out of valid range"
    assert answer["rejected"] == [{"index": 0, "reason": "value out of valid range"}]
    status, answer = client.post("/ingest", [{"tag": "fermenter_temp", "value": 36.0}])
    assert status == 400 and "one measurement object" in answer["error"]


def test_batch_with_nothing_accepted_is_400_but_empty_batch_is_200(client: Client) -> None:
    status, answer = client.post(
        "/ingest/batch", {"measurements": [{"tag": "x", "value": 1}, {"tag": "y", "value": 2}]}
    )
    assert status == 400 and answer["error"] == "no measurement accepted"
    assert [r["index"] for r in answer["rejected"]] == [0, 1]
    assert client.post("/ingest/batch", {"measurements": []}) == (
        200,
        {"accepted": 0, "rejected": [], "anomalies": 0, "dead_lettered": 0},
    )


@pytest.mark.parametrize(
    ("raw", "status", "fragment"),
    [
        (b'{"measurements": [', 400, "malformed JSON"),
        (b"\xff\xfe\x00garbage", 400, "malformed JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "malformed JSON"),
        (
            b'{"measurements": [{"tag": "fermenter_temp", "value": 1' + b"0" * 5000 + b"}]}",
            400,
            "malformed JSON",
        ),
        (b"[1, 2]", 400, "must be an object"),
        (b'"text"', 400, "must be an object"),
        (b"{}", 400, "'measurements' must be a list"),
        (b'{"measurements": {"tag": "x"}}', 400, "'measurements' must be a list"),
        (json.dumps({"measurements": [{}] * 10_001}).encode(), 413, "at most 10000"),
    ],
)
def test_top_level_shape_errors_are_json_4xx(
    client: Client, raw: bytes, status: int, fragment: str
) -> None:
    got, _, answer = client.call("POST", "/ingest/batch", raw=raw, headers=JSON_HEADERS)
    assert got == status
    assert fragment in answer["error"]
    assert client.get("/health")[0] == 200  # the connection is still usable afterwards


def test_wrong_or_missing_content_type_is_415(client: Client, pipeline: Pipeline) -> None:
    body = b'{"measurements": []}'
    for headers in (
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {},
    ):
        status, _, answer = client.call("POST", "/ingest/batch", raw=body, headers=headers)
        assert status == 415 and "application/json" in answer["error"]
    ok = {"Content-Type": "application/json; charset=utf-8"}
    assert client.call("POST", "/ingest/batch", raw=body, headers=ok)[0] == 200


@time_limits(tight=2, guard=4)  # reading the body would wait for raw_exchange's 5 s
def test_oversize_body_is_413_from_content_length_without_reading_it(
    server: HttpServer, limit: float
) -> None:
    head = (
        b"POST /ingest/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2000000\r\n\r\n"
    )
    start = time.monotonic()
    answer = raw_exchange(server, head)  # no body sent: reading it would hang until a timeout
    assert status_of(answer) == 413
    assert b"body larger than 1048576 bytes" in answer
    assert time.monotonic() - start < limit


def test_oversize_body_sent_in_full_still_gets_its_413(client: Client) -> None:
    body = b'{"measurements": [' + b'{"tag": "x", "value": 1},' * 50_000 + b"{}]}"
    assert len(body) > 1 << 20
    status, _, answer = client.call("POST", "/ingest/batch", raw=body, headers=JSON_HEADERS)
    assert status == 413 and "larger than" in answer["error"]


def test_chunked_or_unframed_bodies_are_refused(server: HttpServer) -> None:
    chunked = (
        b"POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n0\r\n\r\n'
    )
    answer = raw_exchange(server, chunked)
    assert status_of(answer) == 411 and b"chunked" in answer
    unframed = b"POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n"
    answer = raw_exchange(server, unframed)
    assert status_of(answer) == 411 and b"Content-Length required" in answer
    bad_length = (
        b"POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: -5\r\n\r\n"
    )
    assert status_of(raw_exchange(server, bad_length)) == 400
    superscript = bad_length.replace(b"-5", "²".encode())  # isdigit() but not int()
    assert status_of(raw_exchange(server, superscript)) == 400


def test_expect_continue_gets_the_error_before_the_body(server: HttpServer) -> None:
    head = (
        b"POST /ingest/batch HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
        b"Content-Length: 10\r\nExpect: 100-continue\r\n\r\n"
    )
    answer = raw_exchange(server, head)
    assert status_of(answer) == 415  # not "100 Continue": the client need not send the body
    body = json.dumps({"tag": "fermenter_ph", "value": 7.0}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(body)
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")


def test_unknown_route_404_wrong_method_405_bad_request_line_400(
    client: Client, server: HttpServer
) -> None:
    status, answer = client.get("/nowhere")
    assert status == 404 and "no route /nowhere" in answer["error"]
    status, response, answer = client.call("DELETE", "/data")
    assert status == 405 and response.getheader("Allow") == "GET, HEAD"
    assert client.get("/ingest/batch")[0] == 405
    assert client.call("BREW", "/tags")[0] == 405
    status, response, body = client.call("HEAD", "/health")
    assert status == 200 and body == b"" and int(response.getheader("Content-Length")) > 0
    answer = raw_exchange(server, b"NONSENSE\r\n\r\n")
    assert status_of(answer) == 400 and b'"error"' in answer
    answer = raw_exchange(server, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
    assert status_of(answer) == 414 and b'"error"' in answer


def test_keep_alive_serves_many_requests_on_one_connection(client: Client) -> None:
    client.get("/health")
    sock = client.conn.sock
    for i in range(20):
        status, _ = client.post(
            "/ingest", {"tag": "fermenter_ph", "value": 7.0, "timestamp": ts(100 - i)}
        )
        assert status == 200
    assert client.conn.sock is sock


# -- reads -----------------------------------------------------------------------------------


def seed_readings(client: Client, tag: str, count: int, start_ago: float) -> list[str]:
    """Post `count` readings one second apart, oldest first; return their timestamps."""
    stamps = [ts(start_ago - i) for i in range(count)]
    items = [
        {"timestamp": s, "tag": tag, "value": 37.0 + (i % 5) * 0.1} for i, s in enumerate(stamps)
    ]
    assert client.post("/ingest/batch", {"measurements": items})[0] == 200
    return stamps


def test_get_data_latest_limit_in_time_order_with_filters(client: Client) -> None:
    stamps = seed_readings(client, "fermenter_temp", 150, 1000)
    status, answer = client.get("/data?tag=fermenter_temp")
    assert status == 200 and answer["count"] == 100
    assert [r["timestamp"] for r in answer["readings"]] == stamps[-100:]
    assert answer["readings"][0]["is_anomaly"] in (True, False)
    _, answer = client.get("/data?tag=fermenter_temp&limit=5")
    assert [r["timestamp"] for r in answer["readings"]] == stamps[-5:]
    since, until = stamps[10], stamps[19]
    _, answer = client.get(f"/data?tag=fermenter_temp&since={since}&until={until}&limit=10000")
    assert [r["timestamp"] for r in answer["readings"]] == stamps[10:20]
    epoch = datetime.fromisoformat(stamps[140]).timestamp()
    _, answer = client.get(f"/data?since={epoch}")
    assert [r["timestamp"] for r in answer["readings"]] == stamps[140:]
    offset = (
        datetime.fromisoformat(stamps[145]).astimezone(timezone(timedelta(hours=2))).isoformat()
    )
    _, answer = client.get("/data?" + http_query(since=offset))
    assert [r["timestamp"] for r in answer["readings"]] == stamps[145:]


def http_query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("limit=0", "limit must be"),
        ("limit=10001", "limit must be"),
        ("limit=-1", "limit must be"),
        ("limit=ten", "limit must be"),
        ("limit=%C2%B2", "limit must be"),  # "²": isdigit() but not int() (fuzz)
        ("since=last+tuesday", "since must be"),
        ("until=2026-13-45T00:00:00Z", "until must be"),
        ("tag=no_such_tag", "unknown tag"),
        ("tags=fermenter_temp", "unknown parameter"),
        ("tag=fermenter_temp&tag=fermenter_ph", "more than once"),
        ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "since is after until"),
        ("tag=x%27%3B+DROP+TABLE+measurements%3B--", "unknown tag"),
    ],
)
def test_bad_read_parameters_are_400(client: Client, query: str, fragment: str) -> None:
    status, answer = client.get(f"/data?{query}")
    assert status == 400 and fragment in answer["error"]


def test_anomalies_route_returns_detected_spikes_newest_last(client: Client) -> None:
    stamps = seed_readings(client, "fermenter_temp", 200, 1000)  # past the detector's warm-up
    spikes = [ts(300), ts(200)]
    for stamp in spikes:
        status, answer = client.post(
            "/ingest", {"tag": "fermenter_temp", "value": 120.0, "timestamp": stamp}
        )
        assert status == 200 and answer["anomalies"] == 1
    status, answer = client.get("/anomalies?tag=fermenter_temp")
    assert status == 200
    assert [(a["timestamp"], a["kind"]) for a in answer["anomalies"]] == [
        (s, "spike") for s in spikes
    ]
    _, answer = client.get(f"/anomalies?since={spikes[1]}&limit=1")
    assert [a["timestamp"] for a in answer["anomalies"]] == [spikes[1]]
    assert client.get("/anomalies?until=" + stamps[0])[0] == 400  # /anomalies has no until
    _, answer = client.get("/data?tag=fermenter_temp&limit=1")
    assert answer["readings"][0]["is_anomaly"] is True


def test_tags_name_the_detector_that_runs(client: Client) -> None:
    """The default detector is reported as `robust` (as the README says), not as `default`."""
    assert load_config(None).detector == "robust"
    _, answer = client.get("/tags")
    assert {tag["detector"] for tag in answer["tags"]} == {"robust"}


def test_tags_and_stats(client: Client, pipeline: Pipeline) -> None:
    status, answer = client.get("/tags")
    assert status == 200
    assert answer["tags"][0] == {
        "name": "fermenter_temp",
        "unit": "°C",
        "normal": [35.0, 40.0],
        "valid": [-20.0, 150.0],
        "detector": "robust",
    }
    client.post(
        "/ingest/batch",
        {"measurements": [{"tag": "fermenter_ph", "value": 7}, {"tag": "zz", "value": 1}]},
    )
    status, stats = client.get("/stats")
    assert status == 200
    assert stats["stored"] == 1 and stats["rejected_by_reason"] == {"unknown tag": 1}
    assert stats["retry_queue_depth"] == 0 and stats["dead_letter_pending"] == 0
    assert stats["database"] == str(pipeline.db_path)
    assert stats["http_requests"] >= 2


def test_get_data_uses_the_tag_timestamp_index(pipeline: Pipeline) -> None:
    """The 10M-row p99 target depends on this plan; guard it against a schema change."""
    store = Reader(pipeline.db_path)
    db = store.connection()
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    store.latest("fermenter_temp", 100)
    store.latest("fermenter_temp", 100, since="2026-01-01T00:00:00.000000Z")
    db.conn.set_trace_callback(None)
    queries = [sql for sql in statements if sql.startswith("SELECT timestamp")]
    assert len(queries) == 2, statements
    for sql in queries:
        plan = " ".join(row[-1] for row in db.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "idx_measurements_tag_timestamp" in plan, plan
        assert "TEMP B-TREE" not in plan  # no sort of the whole tag
    store.close()


# -- health, metrics -------------------------------------------------------------------------


def test_health_is_200_then_503_during_an_outage_then_200(
    client: Client, pipeline: Pipeline
) -> None:
    status, answer = client.get("/health")
    assert status == 200 and answer["status"] == "ok"
    pipeline.set_outage(True)
    status, answer = client.get("/health")
    assert status == 503 and answer["outage"] is True and "outage" in answer["error"]
    pipeline.set_outage(False)
    status, answer = client.get("/health")
    assert status == 200, answer


def test_metrics_are_valid_prometheus_text(client: Client) -> None:
    items = [
        {"tag": "fermenter_temp", "value": 37.0 + 0.01 * (i % 7), "timestamp": ts(300 - i)}
        for i in range(150)  # past the default detector's warm-up
    ]
    items += [
        {"tag": "fermenter_temp", "value": 140.0, "timestamp": ts(50)},
        {"tag": "x", "value": 1},
    ]
    assert client.post("/ingest/batch", {"measurements": items})[0] == 200
    status, response, text = client.call("GET", "/metrics")
    assert status == 200
    assert response.getheader("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(text.decode())}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in families.values()
        for s in family.samples
    }
    assert samples[("sensor_tui_readings_stored_total", ())] == 151
    assert samples[("sensor_tui_readings_rejected_total", (("reason", "unknown tag"),))] == 1
    assert samples[("sensor_tui_readings_rejected_total", (("reason", "bad timestamp"),))] == 0
    assert (
        samples[("sensor_tui_anomalies_total", (("kind", "spike"), ("tag", "fermenter_temp")))] == 1
    )
    assert samples[("sensor_tui_readings_dead_lettered_total", ())] == 0
    assert samples[("sensor_tui_retry_queue_depth", ())] == 0
    assert samples[("sensor_tui_outage", ())] == 0
    assert families["sensor_tui_outage"].type == "gauge"
    assert families["sensor_tui_readings_stored"].type == "counter"
    assert (
        samples[("sensor_tui_http_requests_total", (("route", "/ingest/batch"), ("status", "200")))]
        == 1
    )


# -- durability during an outage -------------------------------------------------------------


def post_in_thread(server: HttpServer, body: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        out.append(Client(server).post("/ingest/batch", body))

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_batch_during_outage_is_retried_and_stored_once_it_ends(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, RetryPolicy(attempts=50, base_delay=0.05, max_delay=0.1))
    server = start_server(pipeline, "127.0.0.1:0")
    try:
        pipeline.set_outage(True)
        items = [{"tag": "fermenter_ph", "value": 7.0, "timestamp": ts(60 - i)} for i in range(5)]
        thread, out = post_in_thread(server, {"measurements": items})
        wait_until(lambda: pipeline.snapshot().retry_depth == 5, 10)  # only in memory
        assert thread.is_alive(), "answered before the readings were durable"
        assert Client(server).get("/health")[0] == 503
        pipeline.set_outage(False)
        thread.join(10)
        status, answer = out[0]
        assert status == 200 and answer["accepted"] == 5 and answer["dead_lettered"] == 0
        assert len(db_rows(pipeline)) == 5
    finally:
        server.stop()
        pipeline.stop()


def test_batch_during_long_outage_is_dead_lettered_then_replayed(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.05))
    server = start_server(pipeline, "127.0.0.1:0")
    client = Client(server)
    try:
        pipeline.set_outage(True)
        items = [{"tag": "agitator_rpm", "value": 450.0, "timestamp": ts(60 - i)} for i in range(4)]
        status, answer = client.post("/ingest/batch", {"measurements": items})
        assert status == 200 and answer["dead_lettered"] == 4
        lines = pipeline.dead_letter.path.read_text().splitlines()
        assert len(lines) == 4  # fsynced before the 200
        assert db_rows(pipeline) == []
        pipeline.set_outage(False)
        assert client.post("/ingest", {"tag": "agitator_rpm", "value": 451.0})[0] == 200
        # the replay commits, then empties the file
        wait_until(lambda: not client.get("/stats")[1]["dead_letter_pending"], 10)
        assert len(db_rows(pipeline)) == 5
        _, stats = client.get("/stats")
        assert stats["dead_letter_pending"] == 0 and stats["dead_lettered"] == 4, stats
    finally:
        server.stop()
        pipeline.stop()


def test_not_durable_is_503_never_200(tmp_path: Path) -> None:
    """Outage and an unwritable dead-letter file: the readings are nowhere, so no 2xx."""
    pipeline = make_pipeline(
        tmp_path,
        RetryPolicy(attempts=1, base_delay=0.02, max_delay=0.02),
        dead_letter=tmp_path / "missing-dir" / "failed.jsonl",
    )
    server = start_server(pipeline, "127.0.0.1:0")
    try:
        pipeline.set_outage(True)
        status, answer = Client(server).post("/ingest", {"tag": "fermenter_temp", "value": 36.5})
        assert status == 503 and "not stored" in answer["error"]
    finally:
        server.stop()
        pipeline.stop()


def test_concurrent_clients_all_acknowledged_readings_are_stored(
    server: HttpServer, pipeline: Pipeline
) -> None:
    results: list[int] = []

    def run(index: int) -> None:
        client = Client(server)
        for batch in range(10):
            items = [
                {
                    "tag": "fermenter_temp",
                    "value": 37.0,
                    "timestamp": ts(10_000 * (index + 1) - batch * 100 - i),
                }
                for i in range(50)
            ]
            status, answer = client.post("/ingest/batch", {"measurements": items})
            results.append(answer["accepted"] if status == 200 else -1)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [50] * 80
    assert len(db_rows(pipeline)) == 4000


# -- security --------------------------------------------------------------------------------


def test_token_is_required_everywhere_but_health(pipeline: Pipeline) -> None:
    server = start_server(pipeline, "127.0.0.1:0", token="s3cret-token")
    try:
        anonymous = Client(server)
        status, response, _ = anonymous.call("GET", "/data")
        assert status == 401 and response.getheader("WWW-Authenticate").startswith("Bearer")
        assert anonymous.get("/health")[0] == 200
        assert anonymous.get("/metrics")[0] == 401
        assert anonymous.get("/nowhere")[0] == 401  # routes are not revealed either
        assert anonymous.post("/ingest", {"tag": "fermenter_temp", "value": 36})[0] == 401
        for header in (
            "Bearer wrong",
            "Basic s3cret-token",
            "s3cret-token",
            "Bearer s3cret-tokenX",
            "Bearer é",
        ):
            assert anonymous.get("/tags", headers={"Authorization": header})[0] == 401
        good = Client(server, token="s3cret-token")
        assert good.post("/ingest", {"tag": "fermenter_temp", "value": 36})[0] == 200
        assert good.get("/data")[1]["count"] == 1  # the unauthorized post stored nothing
        assert good.get("/tags", headers={"Authorization": "bearer   s3cret-token"})[0] == 200
    finally:
        server.stop()


def test_non_loopback_bind_needs_a_token(pipeline: Pipeline) -> None:
    with pytest.raises(ValueError, match=r"refusing to bind 0\.0\.0\.0 without a token"):
        start_server(pipeline, "0.0.0.0:0")
    with pytest.raises(ValueError, match="without a token"):
        start_server(pipeline, "sensors.example.com:8080", token="")


def test_bind_spec_parsing() -> None:
    assert parse_bind("8765") == ("127.0.0.1", 8765)
    assert parse_bind("0") == ("127.0.0.1", 0)
    assert parse_bind("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_bind(":9000") == ("127.0.0.1", 9000)
    assert parse_bind("[::1]:9000") == ("::1", 9000)
    for bad in ("", "http", "127.0.0.1:", "1:70000", "127.0.0.1:-1", "80²"):
        with pytest.raises(ValueError):
            parse_bind(bad)
    assert is_loopback("127.0.0.1") and is_loopback("127.8.0.1") and is_loopback("::1")
    assert is_loopback("localhost")
    assert (
        not is_loopback("0.0.0.0")
        and not is_loopback("10.0.0.1")
        and not is_loopback("example.com")
    )


# -- slow clients, bounds, shutdown ----------------------------------------------------------

SHORT = Limits(head_timeout=0.5, idle_timeout=0.5, request_timeout=0.5)
OBSERVE = 0.3
"""A window in which something must not happen (absence cannot be polled for)."""


@pytest.fixture
def short_server(pipeline: Pipeline) -> Iterator[HttpServer]:
    server = start_server(pipeline, "127.0.0.1:0", limits=SHORT)
    yield server
    server.stop()


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed `sock` (reads drain any answer); fails past `seconds`."""
    start = time.monotonic()
    sock.settimeout(seconds)
    while sock.recv(4096):
        pass
    return time.monotonic() - start


@time_limits(tight=2, guard=10)  # idle timeout 0.5 s; never closed: recv times out
def test_idle_keep_alive_connection_is_closed(short_server: HttpServer, limit: float) -> None:
    with socket.create_connection(("127.0.0.1", short_server.port)) as sock:
        assert closed_within(sock, limit + 1) < limit


@time_limits(tight=2.5, guard=4.5)  # trickling the whole head takes 5 s: not cut off
def test_slow_request_head_cannot_hold_a_worker(short_server: HttpServer, limit: float) -> None:
    """A client trickling header bytes keeps the socket busy, yet the deadline still closes it."""
    with socket.create_connection(("127.0.0.1", short_server.port)) as sock:
        start = time.monotonic()
        head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
        try:
            for byte in head:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass
        assert time.monotonic() - start < limit
        closed_within(sock, 3)


@time_limits(tight=2, guard=10)  # request timeout 0.5 s; never dropped: recv times out
def test_stalled_body_is_dropped_and_the_server_keeps_serving(
    short_server: HttpServer, pipeline: Pipeline, caplog: pytest.LogCaptureFixture, limit: float
) -> None:
    with socket.create_connection(("127.0.0.1", short_server.port)) as sock:
        sock.sendall(
            b"POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"tag": "fermenter_temp"'
        )
        assert closed_within(sock, limit + 1) < limit
    assert Client(short_server).get("/health")[0] == 200
    assert db_rows(pipeline) == []
    assert "bug" not in caplog.text and "failed" not in caplog.text  # a client's fault, quietly


def test_connections_are_bounded(pipeline: Pipeline) -> None:
    server = start_server(pipeline, "127.0.0.1:0", limits=Limits(max_connections=2))
    try:
        first, second = Client(server), Client(server)
        assert first.get("/health")[0] == 200 and second.get("/health")[0] == 200
        answer = raw_exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(answer) == 503 and b"too many connections" in answer
        first.conn.close()
        health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        wait_until(lambda: status_of(raw_exchange(server, health)) == 200, 10)
    finally:
        server.stop()


@time_limits(tight=2, guard=9)  # an idle connection would otherwise hold stop for 10 s
def test_stop_closes_idle_connections_promptly(pipeline: Pipeline, limit: float) -> None:
    server = start_server(pipeline, "127.0.0.1:0")
    client = Client(server)
    assert client.get("/health")[0] == 200
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < limit
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_stop_lets_an_ingest_in_progress_finish_with_its_answer(tmp_path: Path) -> None:
    pipeline = make_pipeline(tmp_path, RetryPolicy(attempts=50, base_delay=0.05, max_delay=0.1))
    server = start_server(pipeline, "127.0.0.1:0")
    try:
        pipeline.set_outage(True)
        item = {"tag": "fermenter_temp", "value": 36.6, "timestamp": ts(5)}
        thread, out = post_in_thread(server, {"measurements": [item]})
        wait_until(lambda: pipeline.snapshot().retry_depth == 1, 10)
        stopper = threading.Thread(target=server.stop)
        stopper.start()
        wait_until(lambda: server.stopping, 10)
        time.sleep(OBSERVE)  # absence cannot be polled: stop must keep waiting for the answer
        assert thread.is_alive() and stopper.is_alive()  # waiting for the write, not cut off
        pipeline.set_outage(False)
        thread.join(10)
        stopper.join(10)
        assert out[0][0] == 200 and out[0][1]["accepted"] == 1
        assert len(db_rows(pipeline)) == 1
    finally:
        pipeline.stop()


def test_a_bug_in_a_route_is_a_logged_json_500(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(app: Any, req: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setitem(http_routes.ROUTES, "/tags", {"GET": broken})
    status, answer = client.get("/tags")
    assert status == 500 and answer == {"error": "internal error (logged)"}
    assert "bug answering GET /tags" in caplog.text
    assert client.get("/health")[0] == 200


def test_the_http_edge_does_not_import_textual() -> None:
    """The HTTP edge is a client of the core, like the UI, and must run without it."""
    code = "import sys, sensor_tui.http; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
