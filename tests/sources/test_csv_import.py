"""`sensor-tui import` as a new user met it, through the real command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from sensor_tui.sources.csv_import import sniff_delimiter

CLI = [sys.executable, "-m", "sensor_tui"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_import_where_every_row_is_rejected_exits_non_zero(tmp_path: Path) -> None:
    rows = "".join(f"2026-01-01T00:00:{i:02d}Z,fermenter_temp,hot\n" for i in range(3))
    (tmp_path / "bad.csv").write_text("timestamp,tag,value\n" + rows)
    proc = run("import", "bad.csv", "--db", "x.db", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Imported 3 rows: 0 stored" in proc.stdout
    assert "nothing imported: all 3 rows were rejected" in proc.stderr


def test_import_with_one_good_row_still_succeeds(tmp_path: Path) -> None:
    (tmp_path / "mixed.csv").write_text(
        "timestamp,tag,value\n2026-01-01T00:00:00Z,fermenter_temp,hot\n"
        "2026-01-01T00:00:01Z,fermenter_temp,37.0\n"
    )
    assert run("import", "mixed.csv", "--db", "x.db", cwd=tmp_path).returncode == 0


def test_rejected_lines_beyond_the_first_five_are_counted(tmp_path: Path) -> None:
    rows = "".join(f"2026-01-01T00:00:{i:02d}Z,fermenter_temp,x{i}\n" for i in range(12))
    good = "2026-01-01T00:01:00Z,fermenter_temp,37.0\n"
    (tmp_path / "many.csv").write_text("timestamp,tag,value\n" + rows + good)
    proc = run("import", "many.csv", "--db", "x.db", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    listed = [line for line in proc.stdout.splitlines() if line.strip().startswith("line ")]
    assert len(listed) == 5 and "line 2: value is not a number: 'x0'" in listed[0]
    assert "… and 7 more rejected lines" in proc.stdout


def test_bad_timestamp_shows_the_value(tmp_path: Path) -> None:
    (tmp_path / "ts.csv").write_text(
        "timestamp,tag,value\n2026-13-45T00:00:00Z,fermenter_temp,37.0\n"
        "2026-01-01T00:00:01Z,fermenter_temp,37.0\n"
    )
    proc = run("import", "ts.csv", "--db", "x.db", cwd=tmp_path)
    assert "line 2: bad timestamp: no such date: '2026-13-45T00:00:00Z'" in proc.stdout
    assert "rejected 1: bad timestamp\n" in proc.stdout  # counted by reason, not by value


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("semicolon", "timestamp;tag;value\n2026-01-01T00:00:00Z;fermenter_temp;36,5\n"),
        ("tab", "timestamp\ttag\tvalue\n2026-01-01T00:00:00Z\tfermenter_temp\t36.5\n"),
        ("pipe", "value|timestamp|tag\n36.5|2026-01-01T00:00:00Z|fermenter_temp\n"),
    ],
)
def test_semicolon_and_tab_separated_files_import(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / "in.csv").write_text(text)
    proc = run("import", "in.csv", "--db", "x.db", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 stored" in proc.stdout
    rows = list(Database(tmp_path / "x.db").query("select tag, value from measurements"))
    assert rows == [{"tag": "fermenter_temp", "value": 36.5}]


def test_delimiter_comes_from_the_header() -> None:
    assert sniff_delimiter("timestamp,tag,value\n", None) == ","
    assert sniff_delimiter("timestamp;tag;value\n", None) == ";"
    assert sniff_delimiter("timestamp;value\n", "fermenter_temp") == ";"
    assert sniff_delimiter('"time;stamp",tag,value\n', None) == ","  # none fits: comma
    assert sniff_delimiter("timestamp\tvalue\r\n", "t") == "\t"
