"""Issue 13: `sensor-tui run --mqtt` as a real process: kill -9 under load loses nothing the broker
acknowledged to the publisher; /health and /metrics show the broker's state."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sensor_tui.model.tags import load_config
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from tests.support.mosquitto_harness import Broker, Publisher
from tests.support.waiting import wait_until

from .conftest import settings

STARTED: list[subprocess.Popen[bytes]] = []
"""Every monitor process a test started; the `reap` fixture kills those still running."""


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """A failing test must not leave a monitor running (and holding a broker session)."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


class MonitorProcess:
    """`sensor-tui run --headless --no-sim --mqtt URL` with its output in a file."""

    def __init__(self, db: Path, url: str, *extra: str) -> None:
        self.log = db.with_suffix(f".{time.monotonic_ns()}.log")
        cmd = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim"]
        cmd += ["--db", str(db), "--mqtt", url, *extra]
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        STARTED.append(self.proc)

    def wait_connected(self, timeout: float = 30.0) -> None:
        wait_until(lambda: ": connected (session present" in self.log.read_text(), timeout)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(60) == 0
        return self.log.read_text()


class Load:
    """A publisher thread sending one timestamped reading per message until stopped."""

    def __init__(self, port: int, topic: str, rate: float = 400.0) -> None:
        self.publisher = Publisher(port)
        self.topic = topic
        self.rate = rate
        self.base = datetime.now(UTC) - timedelta(hours=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def key(self, i: int) -> str:
        moment = self.base + timedelta(milliseconds=i)
        return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"

    def _run(self) -> None:
        start, i = time.monotonic(), 0
        while not self._stop.is_set():
            payload = json.dumps({"value": 400 + i % 50, "timestamp": self.key(i)})
            self.publisher.publish(self.topic, payload, key=self.key(i))
            i += 1
            ahead = i / self.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    @property
    def sent(self) -> int:
        return len(self.publisher.sent)

    def finish(self) -> set[str]:
        """Stop sending, wait for the last PUBACKs; the keys the broker acknowledged."""
        self._stop.set()
        self._thread.join()
        assert self.publisher.wait_all(30)
        self.publisher.close()
        assert self.publisher.refused == []
        return {str(key) for key in self.publisher.acked()}


def stored(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [ts for (ts,) in conn.execute("SELECT timestamp FROM measurements")]


def test_kill9_under_load_loses_nothing_the_broker_acknowledged(
    own_broker: Broker, tmp_path: Path, prefix: str
) -> None:
    """Three kill -9s, each while the monitor works through the backlog that piled up on the
    broker while it was down: the moment when most messages are received but not yet stored
    (a monitor that acknowledged on receipt loses hundreds here)."""
    db = tmp_path / "kill.db"
    url = f"mqtt://127.0.0.1:{own_broker.port}/{prefix}/#"
    monitor = MonitorProcess(db, url)
    monitor.wait_connected()
    load = Load(own_broker.port, f"{prefix}/agitator_rpm", rate=1500)
    for _ in range(3):
        before = len(stored(db))
        monitor.kill()
        target = load.sent + 1500
        wait_until(lambda t=target: load.sent >= t)  # type: ignore[misc]  # sent while down
        monitor = MonitorProcess(db, url)
        wait_until(lambda b=before: len(stored(db)) > b + 10, timeout=30)  # type: ignore[misc]
    monitor.kill()
    monitor = MonitorProcess(db, url)
    target = load.sent + 500
    wait_until(lambda t=target: load.sent >= t)  # type: ignore[misc]
    acked = load.finish()
    assert len(acked) >= 5000
    wait_until(lambda: acked <= set(stored(db)), timeout=30)
    log = monitor.stop()
    keys = stored(db)
    assert len(keys) == len(set(keys))  # none stored twice
    assert acked <= set(keys)  # none the broker acknowledged is missing
    assert set(keys) <= {load.key(i) for i in range(load.sent)}
    assert "Stopped:" in log


def test_health_and_metrics_show_the_broker_state(
    own_broker: Broker, tmp_path: Path, prefix: str
) -> None:
    cfg = settings(own_broker.port, (f"{prefix}/#",), name="plant broker")
    options = MonitorOptions(
        db_path=tmp_path / "h.db", simulate=False, http="127.0.0.1:0", sources=(cfg,)
    )
    monitor = Monitor(load_config(None), options)
    monitor.start()
    try:
        url = monitor.http_url

        def health() -> dict:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                return json.load(answer)

        def metrics() -> str:
            with urllib.request.urlopen(f"{url}/metrics", timeout=5) as answer:
                return answer.read().decode()

        wait_until(lambda: health()["status"] == "ok")
        assert health()["sources"][0]["state"] == "connected"
        assert 'sensor_tui_source_up{source="plant broker",kind="mqtt"} 1' in metrics()
        own_broker.stop()
        wait_until(lambda: health()["status"] == "degraded")
        body = health()
        assert body["sources"][0]["state"] == "reconnecting"
        assert "connection lost" in body["sources"][0]["error"]
        text = metrics()
        assert 'sensor_tui_source_up{source="plant broker",kind="mqtt"} 0' in text
        assert 'sensor_tui_source_state{source="plant broker",state="reconnecting"} 1' in text
    finally:
        monitor.stop()


def test_cli_rejects_a_password_on_the_command_line(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim", "--duration", "0"]
    cmd += ["--db", str(tmp_path / "x.db"), "--mqtt", "mqtt://u:pw@127.0.0.1:1/x"]
    env = {k: v for k, v in os.environ.items() if k != "SENSOR_TUI_MQTT_PASSWORD"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert out.returncode != 0
    assert "no password in the URL" in out.stderr
    assert not (tmp_path / "x.db").exists()  # refused before anything started


def test_headless_console_reports_broker_state(broker: Broker, tmp_path: Path) -> None:
    from tests.support.mosquitto_harness import free_port

    cmd = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim", "--duration", "2"]
    cmd += ["--db", str(tmp_path / "c.db"), "--mqtt", f"mqtt://127.0.0.1:{broker.port}/c/#"]
    dead = free_port()
    cmd += ["--mqtt", f"mqtt://127.0.0.1:{dead}/c/#"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"✓ mqtt 127.0.0.1:{broker.port} connected" in out.stdout
    assert f"⚠ mqtt 127.0.0.1:{dead} #2 reconnecting: " in out.stdout


def test_a_bad_sources_entry_stops_run_with_the_entry_named(tmp_path: Path) -> None:
    config = tmp_path / "plant.toml"
    config.write_text(
        '[[sources]]\ntype = "mqtt"\nurl = "mqtt://127.0.0.1:1/x"\npassword_env = "UNSET_13"\n'
    )
    cmd = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim", "--duration", "0"]
    cmd += ["--db", str(tmp_path / "x.db"), "--config", str(config)]
    env = {k: v for k, v in os.environ.items() if k != "UNSET_13"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode != 0
    assert "sources[0]: environment variable UNSET_13 is not set" in out.stderr
