"""The domain core never imports Textual (STYLE.md: the UI is one client among others)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "sensor_tui"
FACES = ("tui", "cli", "__main__")
"""The terminal UI, and what starts it, may import Textual; nothing else may."""


def core_modules() -> list[str]:
    """Every module of the package outside the faces that start the terminal UI."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in FACES:
            continue
        names.append(".".join(p for p in parts if p != "__init__") or "")
    return [n for n in names if n] + ["cli.headless"]


def test_the_core_is_most_of_the_package() -> None:
    core = core_modules()
    assert {"model.readings", "pipeline.writer", "storage.store", "runtime.monitor"} <= set(core)


def test_core_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import sensor_tui.{name}\n" for name in core_modules())
        + "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext',"
        " 'textual_plotext')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_protocol_libraries_load_only_when_a_source_needs_them() -> None:
    """`sensor-tui run` without MQTT or OPC UA sources pays nothing for paho or asyncua."""
    code = (
        "import sys\nimport sensor_tui.runtime.monitor, sensor_tui.cli, sensor_tui.http\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('paho', 'asyncua')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
