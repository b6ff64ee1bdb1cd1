"""The domain core never imports Textual (STYLE.md: the UI is one client among others)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "tags",
    "readings",
    "detection",
    "detection.adaptive",
    "detection.alarms",
    "detection.evaluation",
    "detection.nab",
    "events",
    "sources",
    "sources.simulator",
    "storage",
    "pipeline.deadletter",
    "counters",
    "pipeline",
    "runner",
    "sources.csv_import",
    "headless",
    "cli",
    "series",
    "http",
    "tui.live",
    "tui.timeline",
    "tui.axes",
    "tui.plot",
    "when",
    "export",
]


def test_core_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import sensor_tui.{name}\n" for name in CORE)
        + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext',"
        " 'textual_plotext')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
