"""`sensor-tui import` bounds the length of a line: a header over the bound is one clear error
(no traceback), and an over-long data line is one rejected line that costs nothing else.
A real subprocess on a real file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sensor_tui.sources.csv_import import LINE_TOO_LONG


def run_import(csv: Path, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sensor_tui", "import", str(csv), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_header_field_over_128_kib_is_a_clear_error(tmp_path: Path) -> None:
    csv = tmp_path / "wide.csv"
    csv.write_text("timestamp,tag,value," + "x" * (129 * 1024) + "\n2026-01-01T00:00:00Z,a,1\n")
    done = run_import(csv, tmp_path / "s.db")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("sensor-tui: ") and "header" in done.stderr


def test_an_over_long_line_is_rejected_and_the_rest_is_stored(tmp_path: Path) -> None:
    csv = tmp_path / "long.csv"
    csv.write_text(
        "timestamp,tag,value\n"
        "2026-01-01T00:00:00Z,fermenter_temp,37.0\n"
        f"2026-01-01T00:00:01Z,fermenter_temp,37.{'1' * 200_000}\n"
        "2026-01-01T00:00:02Z,fermenter_temp,37.2\n"
    )
    done = run_import(csv, tmp_path / "s.db")
    assert done.returncode == 0, done.stderr
    assert "2 stored" in done.stdout and "1 rejected" in done.stdout
    assert f"line 3: {LINE_TOO_LONG}" in done.stdout
