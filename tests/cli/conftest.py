"""A small database made by the real `import` command, for the export and error tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "sensor_tui"]


def cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `sensor-tui ARGS` in `cwd`."""
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def imported_db(tmp_path: Path) -> Path:
    """sensor_data.db in tmp_path holding ten fermenter_temp readings of 2026-01-01."""
    rows = "".join(f"2026-01-01T00:00:{i:02d}Z,fermenter_temp,37.{i}\n" for i in range(10))
    (tmp_path / "in.csv").write_text("timestamp,tag,value\n" + rows)
    done = cli("import", "in.csv", "--db", "sensor_data.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / "sensor_data.db"
