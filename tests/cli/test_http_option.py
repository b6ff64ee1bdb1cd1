"""`sensor-tui run --headless --no-sim --http ...` as a real subprocess."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.waiting import wait_until

CLI = [sys.executable, "-m", "sensor_tui"]


class Monitor:
    """The monitor in a subprocess; stdout goes to a file so it can never block."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.db = tmp_path / "sensor_data.db"
        self.log = tmp_path / "monitor.log"
        self._out = self.log.open("w")
        cmd = [*CLI, "run", "--headless", "--no-sim", "--db", str(self.db), *args]
        self.proc = subprocess.Popen(
            cmd, stdout=self._out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )

    def port(self, timeout: float = 30) -> int:
        def url_or_exit() -> bool:
            return bool(self._url()) or self.proc.poll() is not None

        try:
            wait_until(url_or_exit, timeout, "the HTTP URL in the log, or the monitor's exit")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; log: {self.log.read_text()}") from None
        found = self._url()
        assert found, self.log.read_text()  # the monitor exited without serving
        return int(found.group(1))

    def _url(self) -> re.Match[str] | None:
        return re.search(r"HTTP endpoint on http://127\.0\.0\.1:(\d+)", self.log.read_text())

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self._out.close()
        return code


@pytest.fixture
def monitor(tmp_path: Path) -> Iterator[Monitor]:
    monitor = Monitor(tmp_path, "--http", "127.0.0.1:0")
    yield monitor
    monitor.stop()


def call(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, None if body is None else json.dumps(body), headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return response.status, answer


def test_posted_readings_are_acknowledged_stored_and_survive_sigterm(monitor: Monitor) -> None:
    port = monitor.port()
    now = time.time()
    batch = [
        {"timestamp": now - 10 + i, "tag": "fermenter_temp", "value": 36 + i} for i in range(5)
    ]
    batch.append({"timestamp": now, "tag": "bogus", "value": 1})
    status, answer = call(port, "POST", "/ingest/batch", {"measurements": batch})
    assert status == 200 and answer["accepted"] == 5
    assert answer["rejected"] == [{"index": 5, "reason": "unknown tag"}]
    status, answer = call(port, "GET", "/data?tag=fermenter_temp&limit=3")
    assert status == 200 and [r["value"] for r in answer["readings"]] == [38.0, 39.0, 40.0]
    assert call(port, "GET", "/health")[0] == 200
    assert monitor.stop() == 0
    log = monitor.log.read_text()
    assert "✓ Ingested 5 measurements" in log
    conn = sqlite3.connect(monitor.db)
    assert conn.execute("SELECT count(*) FROM measurements WHERE source = 'http'").fetchone() == (
        5,
    )
    conn.close()


def test_non_loopback_without_token_exits_non_zero_with_a_reason(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SENSOR_TUI_TOKEN"}
    result = subprocess.run(
        [
            *CLI,
            "run",
            "--headless",
            "--no-sim",
            "--db",
            str(tmp_path / "x.db"),
            "--http",
            "0.0.0.0:0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode != 0
    assert "refusing to bind 0.0.0.0 without a token" in result.stderr


def test_bad_http_spec_exits_non_zero(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "run", "--headless", "--no-sim", "--db", str(tmp_path / "x.db"), "--http", "web"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "[HOST:]PORT" in result.stderr


def test_token_from_environment(tmp_path: Path) -> None:
    monitor = Monitor(tmp_path, "--http", "127.0.0.1:0", env={"SENSOR_TUI_TOKEN": "from-env"})
    try:
        port = monitor.port()
        assert call(port, "GET", "/stats")[0] == 401
        assert call(port, "GET", "/health")[0] == 200
        assert call(port, "GET", "/stats", token="from-env")[0] == 200
    finally:
        assert monitor.stop() == 0


def test_port_in_use_exits_non_zero(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["--db", str(tmp_path / "x.db"), "--http", f"127.0.0.1:{port}"]
        result = subprocess.run(
            [*CLI, "run", "--headless", "--no-sim", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode != 0 and "in use" in result.stderr
