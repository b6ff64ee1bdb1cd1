"""The log stays small: libraries at WARNING, `--log-level` for ours, a rotated `--log-file`.

The steady-state target is 1 KB a minute at most with 20 OPC UA tags at 1 Hz; asyncua at INFO
wrote about 530 bytes per data change (about 10 KB a second for 20 tags)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sensor_tui.cli import logsetup
from tests.support.mosquitto_harness import free_port
from tests.support.waiting import wait_until

from .opcua_server import OpcServer

NAMES = tuple(f"plc_t{i:02d}" for i in range(1, 21))


@pytest.fixture
def plc() -> Iterator[OpcServer]:
    """A server with 20 variables, each written once a second."""
    server = OpcServer(free_port(), extra=NAMES).start()
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(1.0):
            when = datetime.now(UTC)
            for i, name in enumerate(NAMES):
                server.write(name, 40.0 + i + time.time() % 5, when)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(5)
    server.stop()


def start_monitor(tmp_path: Path, server: OpcServer, *options: str) -> subprocess.Popen[bytes]:
    tags = "".join(f'[[tags]]\nname = "{n}"\nnormal = [30, 70]\nvalid = [0, 100]\n' for n in NAMES)
    nodes = ", ".join(f'{n} = "{server.node_id(n)}"' for n in NAMES)
    (tmp_path / "plant.toml").write_text(
        f'{tags}[[sources]]\ntype = "opcua"\nurl = "{server.url}"\nnodes = {{ {nodes} }}\n'
    )
    command = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim"]
    command += ["--config", "plant.toml", "--db", "m.db", "--log-file", "monitor.log", *options]
    return subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL)


def test_twenty_tags_at_1_hz_grow_the_log_by_less_than_1_kb_a_minute(
    tmp_path: Path, plc: OpcServer
) -> None:
    monitor = start_monitor(tmp_path, plc)
    log = tmp_path / "monitor.log"
    try:
        wait_until(lambda: log.exists() and "20 of 20 nodes subscribed" in log.read_text())
        time.sleep(3.0)  # connected and settled
        before = log.stat().st_size
        time.sleep(12.0)
        growth = log.stat().st_size - before
    finally:
        monitor.terminate()
        monitor.wait(30)
    assert growth <= 1024 * 12 / 60, log.read_text()[-2000:]
    text = log.read_text()
    assert " INFO asyncua" not in text and "PublishResult" not in text


def test_log_level_warning_keeps_our_info_lines_out(tmp_path: Path, plc: OpcServer) -> None:
    monitor = start_monitor(tmp_path, plc, "--log-level", "WARNING", "--duration", "6")
    assert monitor.wait(60) == 0
    text = (tmp_path / "monitor.log").read_text() if (tmp_path / "monitor.log").exists() else ""
    assert "nodes subscribed" not in text


def test_a_log_file_is_rotated_at_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logsetup, "MAX_BYTES", 4000)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logsetup.setup_logging(str(tmp_path / "m.log"), headless=True, level="INFO")
        ours = logging.getLogger("sensor_tui.test")
        for i in range(200):
            ours.info("line %d of a long run", i)
            logging.getLogger("asyncua.client").info("a publish result nobody needs %d", i)
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["m.log", "m.log.1", "m.log.2", "m.log.3"]  # the oldest are gone
    assert all((tmp_path / name).stat().st_size <= 4000 for name in files)
    assert "publish result" not in "".join((tmp_path / n).read_text() for n in files)
    assert "line 199 of a long run" in (tmp_path / "m.log").read_text()
