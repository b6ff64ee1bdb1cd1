"""The command line, through real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from tests.support.console import ingested
from tests.support.console import message as console_message
from tests.support.db import stored_rows
from tests.support.waiting import wait_until

CLI = [sys.executable, "-m", "sensor_tui"]


def run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_version_and_help(tmp_path: Path) -> None:
    assert run("--version", cwd=tmp_path).stdout.strip() == "sensor-tui, version 0.1.0"
    out = run("run", "--help", cwd=tmp_path).stdout
    for option in (
        "--db",
        "--dead-letter",
        "--config",
        "--interval",
        "--no-sim",
        "--seed",
        "--http",
        "--token",
        "--headless",
        "--duration",
        "--log-file",
    ):
        assert option in out


def test_headless_run_stores_readings_and_exits_zero(tmp_path: Path) -> None:
    proc = run(
        "run", "--headless", "--duration", "2", "--interval", "0.2", "--seed", "1", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    lines = [console_message(line) for line in proc.stdout.splitlines() if ingested(line)]
    assert len(lines) >= 8
    assert lines[0].startswith("✓ Ingested 3 measurements (")
    db = Database(tmp_path / "sensor_data.db")  # the default path, in the working directory
    rows = list(db.query("select tag, count(*) n from measurements group by tag"))
    assert {row["tag"] for row in rows} == {"fermenter_temp", "fermenter_ph", "agitator_rpm"}
    counts = [int(line.split()[2]) for line in lines]  # "✓ Ingested N measurements (...)"
    # one tick is 3 readings; on a loaded machine the writer may commit several ticks at once
    assert all(count % 3 == 0 for count in counts)
    assert sum(row["n"] for row in rows) == sum(counts)
    query = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqlite_utils",
            "query",
            str(tmp_path / "sensor_data.db"),
            "select * from measurements limit 1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert set(json.loads(query.stdout)[0]) == {
        "id",
        "timestamp",
        "tag",
        "value",
        "is_anomaly",
        "score",
        "kind",
        "source",
    }


def test_sigterm_flushes_and_exits_zero(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*CLI, "run", "--headless", "--interval", "0.1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: stored_rows(tmp_path / "sensor_data.db") > 0, 30)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    stored = int(out.rsplit("Stopped: ", 1)[1].split()[0])
    assert stored > 0
    assert Database(tmp_path / "sensor_data.db")["measurements"].count == stored


BAD_CSV = """\
value,timestamp,tag,note
36.5,2026-01-01T00:00:00Z,fermenter_temp,ok
abc,2026-01-01T00:00:01Z,fermenter_temp,not a number
nan,2026-01-01T00:00:02Z,fermenter_temp,not finite
999,2026-01-01T00:00:03Z,fermenter_temp,out of range
7.0,2026-01-01T02:00:04+02:00,fermenter_ph,offset
7.0,1767225605,fermenter_ph,epoch
7.0,not-a-time,fermenter_ph,bad time
7.0,2099-01-01T00:00:00Z,fermenter_ph,future
450,2026-01-01 00:00:05,agitator_rpm,no zone

1,2026-01-01T00:00:06Z,unknown_tag,unknown
2
450,2026-01-01T00:00:05Z,agitator_rpm,duplicate of line 10
"""


def test_import_stores_good_rows_and_counts_bad_ones(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(BAD_CSV)
    proc = run("import", "in.csv", "--db", "x.db", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Imported 12 rows: 4 stored, 1 already stored, 7 rejected" in proc.stdout
    for reason in (
        "value is not a number",
        "value is not finite",
        "value out of valid range",
        "bad timestamp",
        "timestamp in the future",
        "unknown tag",
        "missing column",
    ):
        assert f"rejected 1: {reason}" in proc.stdout
    assert "line 3: value is not a number" in proc.stdout
    rows = list(
        Database(tmp_path / "x.db").query(
            "select timestamp, tag, source from measurements order by timestamp, tag"
        )
    )
    assert rows == [
        {"timestamp": "2026-01-01T00:00:00.000000Z", "tag": "fermenter_temp", "source": "import"},
        {"timestamp": "2026-01-01T00:00:04.000000Z", "tag": "fermenter_ph", "source": "import"},
        {"timestamp": "2026-01-01T00:00:05.000000Z", "tag": "agitator_rpm", "source": "import"},
        {"timestamp": "2026-01-01T00:00:05.000000Z", "tag": "fermenter_ph", "source": "import"},
    ]


def test_import_with_tag_and_config(tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text(
        '[[tags]]\nname = "machine_temperature"\nunit = "°F"\nnormal = [60.0, 100.0]\n'
        "valid = [-50.0, 300.0]\n"
    )
    rows = "\n".join(f"2013-12-02 21:{m:02d}:00,{70 + m * 0.1}" for m in range(50))
    (tmp_path / "nab.csv").write_text("timestamp,value\n" + rows + "\n")
    proc = run(
        "import",
        "nab.csv",
        "--db",
        "x.db",
        "--tag",
        "machine_temperature",
        "--config",
        "cfg.toml",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "50 stored" in proc.stdout
    unit = Database(tmp_path / "x.db")["tags"].get("machine_temperature")["unit"]
    assert unit == "°F"


def test_import_of_unreadable_files_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "hdr.csv").write_text("a,b\n1,2\n")
    (tmp_path / "empty.csv").write_text("")
    for name, message in [
        ("missing.csv", "no such file"),
        ("hdr.csv", "lacks column"),
        ("empty.csv", "empty"),
    ]:
        proc = run("import", name, "--db", "x.db", cwd=tmp_path)
        assert proc.returncode != 0
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run("import", "hdr.csv", "--tag", "nope", cwd=tmp_path)
    assert proc.returncode != 0 and "not a configured tag" in proc.stderr


def test_stats_json_and_recover(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(BAD_CSV)
    run("import", "in.csv", cwd=tmp_path)
    dl = tmp_path / "failed_measurements.jsonl"
    dl.write_text(
        json.dumps({"timestamp": "2026-01-02T00:00:00Z", "tag": "fermenter_ph", "value": 7.2})
        + "\n{broken\n"
    )
    report = json.loads(run("stats", "--json", cwd=tmp_path).stdout)
    counts = {row["tag"]: row["count"] for row in report["tags"]}
    assert counts == {"fermenter_temp": 1, "fermenter_ph": 2, "agitator_rpm": 1}
    assert report["dead_letter"]["pending"] == 2
    proc = run("recover", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 stored, 0 already stored, 1 unreadable" in proc.stdout
    report = json.loads(run("stats", "--json", cwd=tmp_path).stdout)
    assert report["dead_letter"] == {"path": str(dl.name), "pending": 0, "bad_lines": 1}
    assert "fermenter_ph" in run("stats", cwd=tmp_path).stdout


def test_stats_without_database_fails(tmp_path: Path) -> None:
    proc = run("stats", "--db", "none.db", cwd=tmp_path)
    assert proc.returncode != 0 and "no database" in proc.stderr


def test_bad_config_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text("[[tags]]\nname = 3\n")
    proc = run("run", "--headless", "--duration", "1", "--config", "cfg.toml", cwd=tmp_path)
    assert proc.returncode != 0 and "'name' must be a non-empty string" in proc.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("sensor-tui")
    assert script.exists() and os.access(script, os.X_OK)
