"""The core and the chart series never import Textual: the UI is one client among others."""

from __future__ import annotations

import subprocess
import sys


def test_core_and_series_do_not_import_textual():
    code = (
        "import sys, sensor_tui.pipeline, sensor_tui.runner, sensor_tui.series, "
        "sensor_tui.tui.inbox; print(any(m.startswith('textual') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
