"""With the historian unreachable, a forwarding monitor keeps storing and says so: the headless
console, /health and /metrics show the backlog ("forward: behind N readings since T"). Also the
config keys `site` and `[forward]`. No PostgreSQL needed: nothing listens at the URL."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sensor_tui.model.tags import ConfigError, parse_config
from tests.support.postgres import free_port


def test_backlog_is_shown_while_the_historian_is_away(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    port, dead = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sensor_tui", "run", "--headless", "--interval", "0.05",
         "--http", f"127.0.0.1:{port}", "--forward", f"postgresql://x@127.0.0.1:{dead}/h",
         "--site", "line9", "--duration", "30"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        while not any("forward: behind" in line for line in lines):
            lines.append(proc.stdout.readline())
            assert lines[-1], "".join(lines)
        base = f"http://127.0.0.1:{port}"
        time.sleep(1.5)
        with urllib.request.urlopen(base + "/health", timeout=10) as answer:
            health = json.loads(answer.read())
        assert health["status"] == "degraded" and health["forward"]["up"] is False
        assert health["forward"]["backlog"] > 0 and health["forward"]["behind_since"]
        assert health["forward"]["text"].startswith("forward: behind ")
        with urllib.request.urlopen(base + "/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        assert "sensor_tui_forward_up 0" in metrics
        backlog = [ln for ln in metrics.splitlines()
                   if ln.startswith("sensor_tui_forward_backlog_readings ")]  # fmt: skip
        assert backlog and float(backlog[0].split()[1]) > 0
        assert health["stored"] > 0  # storing locally goes on
    finally:
        proc.terminate()
        proc.wait(30)


def test_site_and_forward_in_the_config() -> None:
    config = parse_config({"site": "line1", "forward": {"url": "postgresql://h/db"}})
    assert (config.site, config.forward) == ("line1", "postgresql://h/db")
    import socket

    assert parse_config({}).site == socket.gethostname() and parse_config({}).forward is None
    for bad, words in (
        ({"site": "a/b"}, "without '/'"),
        ({"site": ""}, "non-empty"),
        ({"forward": {"url": "mysql://h"}}, "postgresql://"),
        ({"forward": {"url": "postgresql://h", "batch": 3}}, "unknown keys: batch"),
        ({"forward": "postgresql://h"}, "must be a table"),
    ):
        with pytest.raises(ConfigError, match=words):
            parse_config(bad)
