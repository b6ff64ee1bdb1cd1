"""A short run of benchmarks/hostile_http.py (issue 5: hostile HTTP input, no 5xx, no crash)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "hostile_http.py"


def test_issue5_hostile_requests_get_no_5xx_and_health_still_answers() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--requests", "400", "--clients", "2", "--seed", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5xx answers: 0" in proc.stdout and "RESULT: PASS" in proc.stdout
    assert "4xx" in proc.stdout  # the mix really was hostile
