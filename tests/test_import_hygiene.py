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
    "sources.config",
    "sources.mqtt",
    "sources.opcua",
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
    "tui.binning",
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


def test_issue13_protocol_libraries_load_only_when_a_source_needs_them() -> None:
    """`sensor-tui run` without MQTT or OPC UA sources pays nothing for paho or asyncua."""
    code = (
        "import sys\nimport sensor_tui.runner, sensor_tui.cli, sensor_tui.http\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('paho', 'asyncua')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
