"""Issue 11 edges: HTTP ack / shelve / GET /alarms / gauges, the `alarms` commands, notifications.

Real sockets on 127.0.0.1, real subprocesses for the CLI and the notification command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sensor_tui.alarming import states
from sensor_tui.alarming.notify import Notifier
from sensor_tui.http import start_server
from sensor_tui.http.server import HttpServer
from sensor_tui.model.alarm_settings import AlarmSettings
from sensor_tui.model.tags import Config, ConfigError, parse_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.storage.alarms import AlarmChange
from tests.alarm_helpers import alarms_in, fault_stream, quiet, scenario, store_stream
from tests.http.test_routes import Client
from tests.support.waiting import wait_until

TOKEN = "s3cret"


@pytest.fixture
def alarmed(config: Config, db_path: Path) -> Iterator[Pipeline]:
    """A pipeline whose database holds one active stuck-sensor alarm and one returned spike."""
    pipe = Pipeline(quiet(config), db_path)
    pipe.start()
    faults = {200: ("fermenter_ph", "spike", 1), 400: ("fermenter_temp", "stuck", 200)}
    store_stream(pipe, *scenario(config, faults, 550))
    yield pipe
    pipe.stop()


@pytest.fixture
def http(alarmed: Pipeline) -> Iterator[Client]:
    server: HttpServer = start_server(alarmed, "127.0.0.1:0", TOKEN)
    client = Client(server, TOKEN)
    yield client
    client.conn.close()
    server.stop()


def _ids(db: Path) -> dict[str, str]:
    return {row["tag"]: row["id"] for row in alarms_in(db)}


def test_http_lists_acks_and_shelves_alarms(http: Client, db_path: Path) -> None:
    status, body = http.get("/alarms?state=open")
    assert status == 200 and body["count"] == 2
    status, body = http.get("/alarms?state=active&tag=fermenter_temp")
    assert [a["state"] for a in body["alarms"]] == ["unack"]
    stuck = quote(_ids(db_path)["fermenter_temp"], safe="")
    status, body = http.post(f"/alarms/{stuck}/ack", {"by": "night shift"})
    assert status == 200 and body["alarm"]["state"] == "acked" and body["from_state"] == "unack"
    assert body["alarm"]["acked_by"] == "night shift"
    status, body = http.post(f"/alarms/{stuck}/ack")
    assert status == 409
    status, body = http.post(f"/alarms/{stuck}/shelve", {"duration": 900})
    assert status == 200 and body["alarm"]["state"] == "shelved"
    assert alarms_in(db_path, tag="fermenter_temp")[0]["shelved_from_state"] == "acked"
    status, body = http.get(f"/alarms/{stuck}")
    assert [j["to_state"] for j in body["journal"]] == ["unack", "acked", "shelved"]
    assert [j["via"] for j in body["journal"]] == ["pipeline", "http", "http"]
    status, body = http.post(f"/alarms/{stuck}/unshelve")
    assert status == 200 and body["alarm"]["state"] == "acked"


def test_http_errors_and_token(http: Client, db_path: Path) -> None:
    assert http.post("/alarms/nope%401/ack")[0] == 404
    assert http.post("/alarms/nope%401/shelve", {"duration": 60})[0] == 404
    assert http.get("/alarms/nope%401")[0] == 404
    spike = quote(_ids(db_path)["fermenter_ph"], safe="")
    assert http.post(f"/alarms/{spike}/shelve", {"duration": "soon"})[0] == 400
    assert http.post(f"/alarms/{spike}/shelve", {"duration": 10**9})[0] == 400
    assert http.get("/alarms?state=sleeping")[0] == 400
    assert http.get("/alarms?tag=nope")[0] == 400
    assert http.get("/alarms?limit=0")[0] == 400
    http.token = None
    assert http.post(f"/alarms/{spike}/ack")[0] == 401
    assert http.get("/alarms")[0] == 401
    assert alarms_in(db_path, tag="fermenter_ph")[0]["state"] == states.RTN_UNACK


def test_metrics_gauges_count_alarm_states(http: Client, db_path: Path) -> None:
    spike = quote(_ids(db_path)["fermenter_ph"], safe="")
    stuck = quote(_ids(db_path)["fermenter_temp"], safe="")
    http.post(f"/alarms/{stuck}/shelve", {"duration": 60})
    _, _, text = http.call("GET", "/metrics")
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }
    assert samples["sensor_tui_alarms_active"] == 1
    assert samples["sensor_tui_alarms_unacknowledged"] == 1
    assert samples["sensor_tui_alarms_shelved"] == 1
    http.post(f"/alarms/{spike}/ack")
    requests = http.call("GET", "/metrics")[2].decode()
    assert 'route="/alarms/{id}/ack"' in requests and "%40" not in requests


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sensor_tui", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_lists_alarms_and_reports(alarmed: Pipeline, db_path: Path) -> None:
    alarmed.flush()
    listed = json.loads(_cli("alarms", "--db", str(db_path), "--json", "--state", "open").stdout)
    assert listed["count"] == 2
    only = _cli("alarms", "--db", str(db_path), "--tag", "fermenter_ph", "--json").stdout
    assert [a["kind"] for a in json.loads(only)["alarms"]] == ["spike"]
    text = _cli("alarms", "--db", str(db_path)).stdout
    assert "ACTIVE UNACK" in text and "RTN UNACK" in text
    report = json.loads(_cli("alarms", "report", "--db", str(db_path), "--json").stdout)
    assert report["health"]["alarms"] == 2
    assert report["detector"]["detected"] == 2 and report["detector"]["false"] == 0
    assert report["detector"]["median_time_to_detect"] is not None
    text = _cli("alarms", "report", "--db", str(db_path)).stdout
    assert "per 10 min" in text and "detected 2/2" in text
    missing = _cli("alarms", "--db", str(db_path.with_name("nope.db")))
    assert missing.returncode == 2 and "no database" in missing.stderr


def test_alarms_config_is_checked() -> None:
    config = parse_config({"alarms": {"notify": ["logger", "-t", "x"], "notify_timeout": 2}})
    assert config.alarms == AlarmSettings(("logger", "-t", "x"), 2.0)
    for bad in ({"notify": "logger"}, {"notify_timeout": 0}, {"page": True}):
        with pytest.raises(ConfigError):
            parse_config({"alarms": bad})


def _notify_pipeline(
    config: Config, db: Path, argv: list[str], timeout: float
) -> tuple[Pipeline, Notifier]:
    pipe = Pipeline(quiet(config), db)
    notifier = Notifier(AlarmSettings(tuple(argv), timeout))
    pipe.subscribe_alarms(notifier.offer)
    notifier.start()
    pipe.start()
    return pipe, notifier


def test_notification_gets_the_alarm_as_json(config: Config, db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "notices.jsonl"
    script = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read() + chr(10))"
    pipe, notifier = _notify_pipeline(config, db_path, [sys.executable, "-c", script], 10)
    try:
        store_stream(pipe, *fault_stream(config, "spike", duration=1, after=80))
    finally:
        pipe.stop()
        notifier.stop(timeout=20)
    notices = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(n["from_state"], n["to_state"]) for n in notices] == [
        (None, "unack"),
        ("unack", "rtn_unack"),
    ]
    assert notices[0]["alarm"]["tag"] == "fermenter_temp" and notifier.failed == 0


@pytest.mark.parametrize("argv", [["sleep", "30"], ["sh", "-c", "exit 3"], ["/no/such/cmd"]])
def test_a_hanging_or_failing_notification_does_not_delay_ingest(
    config: Config, db_path: Path, argv: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    readings, events = fault_stream(config, "spike", duration=1, after=80)
    baseline = Pipeline(quiet(config), db_path.with_name("baseline.db"))
    baseline.start()
    started = time.perf_counter()
    store_stream(baseline, readings, events)
    plain = time.perf_counter() - started
    baseline.stop()
    pipe, notifier = _notify_pipeline(config, db_path, argv, timeout=0.5)
    try:
        started = time.perf_counter()
        store_stream(pipe, readings, events)
        with_notify = time.perf_counter() - started
        wait_until(lambda: notifier.failed >= 1, 10)
    finally:
        pipe.stop()
        notifier.stop(timeout=10)
    assert alarms_in(db_path)[0]["state"] == states.RTN_UNACK
    # a hanging command would cost 0.5 s per transition if ingest waited for it
    assert with_notify < plain + 0.4, (with_notify, plain)
    assert "alarm notification" in caplog.text


def test_a_full_notification_queue_drops_and_counts_never_blocks() -> None:
    """The writer offers; with the sender stuck (here: not started), the queue fills and the
    rest is dropped at once, counted, instead of waiting."""
    notifier = Notifier(AlarmSettings(("true",), 1.0), queue_size=2)
    change = AlarmChange({"id": "a@1"}, "unack", "acked")
    extended = AlarmChange({"id": "a@1"}, "acked", "acked")  # not a transition: never queued
    started = time.perf_counter()
    notifier.offer([change, extended, change, change, change])
    assert time.perf_counter() - started < 0.1
    assert notifier.dropped == 2
