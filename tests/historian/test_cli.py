"""The historian from the command line, through real subprocesses: two edges forward, then
`export`, `alarms` and `historian prune` read the historian, per site or across sites."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from sensor_tui.storage.historian import schema, writes

CLI = [sys.executable, "-m", "sensor_tui"]


def run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _edge(site: str, url: str, cwd: Path) -> None:
    result = run(
        "run", "--headless", "--interval", "0.01", "--duration", "2", "--seed", "3",
        "--db", f"{site}.db", "--forward", url, "--site", site, cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_two_edges_then_export_and_alarms(tmp_path: Path, pg_url: str) -> None:
    _edge("north", pg_url, tmp_path)
    _edge("south", pg_url, tmp_path)
    for site in ("north", "south"):
        local = run("export", "--db", f"{site}.db", cwd=tmp_path)
        central = run("export", "--db", pg_url, "--site", site, cwd=tmp_path)
        assert central.returncode == 0, central.stderr
        assert central.stdout == local.stdout  # the same CSV, byte for byte
        assert local.stdout.count("\n") > 100
    every = run("export", "--db", pg_url, "--tag", "north/fermenter_ph", cwd=tmp_path).stdout
    assert every.splitlines()[1].split(",")[1] == "north/fermenter_ph"
    listed = run("alarms", "--db", pg_url, "--json", "--limit", "1000", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    local_count = sum(
        json.loads(run("alarms", "--db", f"{s}.db", "--json", "--limit", "1000",
                       cwd=tmp_path).stdout)["count"]
        for s in ("north", "south")
    )  # fmt: skip
    alarms = json.loads(listed.stdout)["alarms"]
    assert len(alarms) == local_count
    assert all(a["tag"].split("/")[0] in ("north", "south") for a in alarms)


def test_prune_drops_old_partitions(tmp_path: Path, pg_url: str) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    with psycopg.connect(pg_url) as conn:
        schema.migrate(conn)
        row = (old.strftime("%Y-%m-%dT%H:%M:%S.000000Z"), "t", 1.0, 0, 0.1, "", "test")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        writes.write_readings(conn, "s", [row, (now, "t", 2.0, 0, 0.1, "", "test")], set())
    result = run("historian", "prune", "--db", pg_url, "--keep", "30d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"readings_{old:%Y%m%d}" in result.stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT value FROM readings").fetchall() == [(2.0,)]
    bad = run("historian", "prune", "--db", pg_url, "--keep", "soon", cwd=tmp_path)
    assert bad.returncode == 2 and "365d" in bad.stderr


def test_without_the_driver_the_message_names_the_extra(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None; from sensor_tui.cli import main; "
        "sys.argv = ['sensor-tui'] + sys.argv[1:]; main()"
    )
    for args in (
        ["run", "--headless", "--forward", "postgresql://nobody@127.0.0.1:1/x"],
        ["export", "--db", "postgresql://nobody@127.0.0.1:1/x"],
        ["alarms", "--db", "postgresql://nobody@127.0.0.1:1/x"],
    ):
        result = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert result.returncode == 2, (args, result.stderr)
        assert "sensor-tui[historian]" in result.stderr, (args, result.stderr)
    assert not (tmp_path / "sensor_data.db").exists()
