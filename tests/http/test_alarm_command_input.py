"""Bad input to the alarm commands over HTTP is a 400 with the reason, never a 500, and changes
nothing: a lone surrogate in `by`, a shelving too short or too long. Real socket, real SQLite."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from sensor_tui.alarming import states
from sensor_tui.http import start_server
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline
from tests.alarm_helpers import alarms_in, quiet, scenario, store_stream

TOKEN = "s3cret-token"


@pytest.fixture
def alarm(config: Config, db_path: Path) -> Iterator[tuple[int, str]]:
    """(port, id) of a server over a database holding one active stuck-sensor alarm."""
    pipe = Pipeline(quiet(config), db_path)
    pipe.start()
    store_stream(pipe, *scenario(config, {400: ("fermenter_temp", "stuck", 200)}, 550))
    server = start_server(pipe, "127.0.0.1:0", TOKEN)
    yield server.port, alarms_in(db_path)[0]["id"]
    server.stop()
    pipe.stop()


def post_raw(port: int, path: str, body: bytes) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    conn.request("POST", path, body, headers)
    answer = conn.getresponse()
    status, data = answer.status, json.loads(answer.read())
    conn.close()
    return status, data


def test_a_lone_surrogate_in_by_is_a_400(alarm: tuple[int, str], db_path: Path) -> None:
    port, alarm_id = alarm
    body = b'{"by": "night shift \\ud800"}'  # valid JSON, not encodable text
    status, answer = post_raw(port, f"/alarms/{quote(alarm_id)}/ack", body)
    assert status == 400 and "by" in answer["error"]
    assert alarms_in(db_path)[0]["state"] == states.UNACK


@pytest.mark.parametrize("duration", [1e-300, 0.5, 0, -5, 8 * 86400, 1e300])
def test_a_shelving_outside_one_second_to_a_week_is_a_400(
    alarm: tuple[int, str], db_path: Path, duration: float
) -> None:
    port, alarm_id = alarm
    body = json.dumps({"duration": duration}).encode()
    status, answer = post_raw(port, f"/alarms/{quote(alarm_id)}/shelve", body)
    assert status == 400 and "1 s to 7 days" in answer["error"]
    assert alarms_in(db_path)[0]["state"] == states.UNACK


def test_a_one_second_shelving_is_accepted(alarm: tuple[int, str], db_path: Path) -> None:
    port, alarm_id = alarm
    status, _ = post_raw(port, f"/alarms/{quote(alarm_id)}/shelve", b'{"duration": 1}')
    assert status == 200
