"""The historian's GET routes through a real `sensor-tui run --db postgresql://... --http`
process: sites, tags, readings and alarms per site (`site=`) or across sites (`site/tag`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from sensor_tui.model.tags import Config
from sensor_tui.storage import Reader
from tests.historian.helpers import edge, readings
from tests.support.postgres import free_port


def _forward(config: Config, db: Path, url: str, seconds: int) -> None:
    batch = readings(config.tag_names, 0, seconds)
    for r in batch[900:990]:
        r.value = 149.0 if r.tag == "fermenter_temp" else r.value
    with edge(config, db, url) as (pipe, fwd):
        pipe.submit_readings(batch).result(10)
        pipe.flush()
        deadline = time.monotonic() + 20
        while fwd.forwarded < len(batch) or fwd.backlog:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.4)  # alarms follow the readings


def _get(base: str, path: str, method: str = "GET") -> tuple[int, Any]:
    request = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_get_routes_per_site_and_across(config: Config, tmp_path: Path, pg_url: str) -> None:
    _forward(replace(config, site="east"), tmp_path / "east.db", pg_url, 400)
    _forward(replace(config, site="west"), tmp_path / "west.db", pg_url, 300)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sensor_tui", "run", "--db", pg_url, "--headless",
         "--http", f"127.0.0.1:{port}", "--duration", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert "historian view on" in proc.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        assert _get(base, "/sites") == (200, {"sites": ["east", "west"]})
        status, tags = _get(base, "/tags?site=west")
        assert status == 200 and {t["name"] for t in tags["tags"]} == set(config.tag_names)
        status, data = _get(base, "/data?site=east&tag=fermenter_ph&limit=5")
        local = Reader(tmp_path / "east.db").latest("fermenter_ph", 5)
        for row in local:
            row["is_anomaly"] = bool(row["is_anomaly"])
        assert status == 200 and data["readings"] == local
        status, data = _get(base, "/data?tag=west/agitator_rpm&limit=2")
        assert status == 200 and [r["tag"] for r in data["readings"]] == ["west/agitator_rpm"] * 2
        status, alarms = _get(base, "/alarms?site=east")
        assert status == 200 and alarms["count"] >= 1
        first = alarms["alarms"][0]["id"]
        status, one = _get(base, f"/alarms/{urllib.request.quote(first, safe='')}?site=east")
        assert status == 200 and one["alarm"]["id"] == first and one["journal"]
        assert _get(base, "/data?site=north")[0] == 400
        assert _get(base, "/data?site=east&tag=nope")[0] == 400
        assert _get(base, "/data", method="POST")[0] == 405
        assert _get(base, "/health")[1]["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(20)
