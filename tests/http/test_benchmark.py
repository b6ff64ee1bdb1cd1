"""A short run of benchmarks/http_load.py: it must work and must lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "http_load.py"


def documents(text: str) -> dict[str, Any]:
    """The JSON objects the benchmark prints one after another, merged."""
    decoder, merged, index = json.JSONDecoder(), {}, 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        merged.update(document)
    return merged


@pytest.mark.slow
def test_short_load_run_acknowledges_and_keeps_every_reading(tmp_path: Path) -> None:
    args = ["--duration", "2", "--clients", "2", "--rows", "30000", "--queries", "100"]
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = documents(result.stdout)
    ingest, query = report["ingest"], report["query"]
    assert ingest["acked_readings"] > 0 and ingest["lost_readings"] == 0
    assert ingest["statuses"] == {"200": ingest["acked_readings"] // 100}
    assert query["rows"] == 30000 and query["uses_tag_timestamp_index"] is True
