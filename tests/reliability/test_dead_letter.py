"""Issue 5: a dead-letter file with truncated, corrupt and duplicate lines; appends that fail."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

from sensor_tui.model.readings import Validator
from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.pipeline.deadletter import DeadLetter
from tests.reliability.helpers import db_keys, measurements, sensor_tui


def readings(start: int, n: int) -> list:
    """Validated readings, as the pipeline would dead-letter them."""
    validator = Validator(load_config(None))
    return [validator.validate_mapping(m, "http") for m in measurements(start, n)]


def messy_file(path: Path) -> None:
    """Good lines (some twice), blank, corrupt and non-object lines, a truncated last line."""
    letters = DeadLetter(path)
    letters.append(readings(0, 5), "outage")
    good = path.read_text().splitlines(keepends=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(good[0] + good[1])  # duplicates
        handle.write("\n{not json\n[1, 2]\n\xff garbage\n")
        handle.write('{"tag": "nope", "timestamp": "2025-01-01T00:00:00Z", "value": 1}\n')
        handle.write(good[2][: len(good[2]) // 2])  # a crash mid-append, no newline


def test_messy_dead_letter_replays_good_lines_once_at_start(tmp_path: Path) -> None:
    """Start does not fail; good lines stored once; bad ones moved aside and counted."""
    dl = tmp_path / "failed.jsonl"
    messy_file(dl)
    pipeline = Pipeline(load_config(None), tmp_path / "t.db", dl)
    result = pipeline.start()
    pipeline.stop()
    assert result is not None
    assert (result.stored, result.bad_lines) == (5, 5)
    assert result.duplicates == 2  # the two repeated lines
    assert sorted(set(db_keys(tmp_path / "t.db"))) == sorted(db_keys(tmp_path / "t.db"))
    assert len(db_keys(tmp_path / "t.db")) == 5
    assert dl.read_text() == ""
    assert pipeline.dead_letter.bad_count() == 5
    assert pipeline.snapshot().dead_letter_bad == 5


def test_messy_dead_letter_through_recover_cli(tmp_path: Path) -> None:
    """`sensor-tui recover` on the same file: exit 0, once, and a second run finds nothing."""
    dl, db = tmp_path / "failed.jsonl", tmp_path / "t.db"
    messy_file(dl)
    first = sensor_tui("recover", "--db", str(db), "--dead-letter", str(dl))
    assert first.returncode == 0, first.stderr
    assert "5 stored" in first.stdout and "5 unreadable" in first.stdout
    second = sensor_tui("recover", "--db", str(db), "--dead-letter", str(dl))
    assert "0 stored" in second.stdout and "0 unreadable" in second.stdout
    assert len(db_keys(db)) == 5


def test_append_after_truncated_line_keeps_the_new_lines(tmp_path: Path) -> None:
    """A new record glued to a crash's half line used to be moved aside: an acked reading lost."""
    dl = tmp_path / "failed.jsonl"
    dl.write_text('{"tag": "fermenter_temp", "timesta')
    DeadLetter(dl).append(readings(0, 3), "outage")
    pipeline = Pipeline(load_config(None), tmp_path / "t.db", dl)
    result = pipeline.start()
    pipeline.stop()
    assert result is not None and (result.stored, result.bad_lines) == (3, 1)


FILL = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
from sensor_tui.pipeline.deadletter import DeadLetter
from sensor_tui.model.readings import Validator
from sensor_tui.model.tags import load_config
v = Validator(load_config(None))
rows = [v.validate_mapping({"tag": "fermenter_temp", "timestamp": 1735689600 + i,
        "value": 37.0}, "http") for i in range(int(sys.argv[3]))]
try:
    DeadLetter(sys.argv[1]).append(rows, "outage")
except OSError as exc:
    print("failed", exc.errno)
else:
    print("ok")
"""


def test_append_that_fills_the_disk_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    """A write cut short by a full disk (here a file-size limit) is truncated away, so the next
    append after space frees up starts on a clean line."""
    if not hasattr(resource, "RLIMIT_FSIZE") or not hasattr(signal, "SIGXFSZ"):
        return
    dl = tmp_path / "failed.jsonl"
    DeadLetter(dl).append(readings(0, 2), "outage")
    size = dl.stat().st_size
    run = subprocess.run(
        [sys.executable, "-c", FILL, str(dl), str(size + 300), "50"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.split()[0] == "failed", run.stdout + run.stderr
    assert dl.stat().st_size == size
    DeadLetter(dl).append(readings(100, 3), "outage")
    lines = [json.loads(line) for line in dl.read_text().splitlines()]
    assert len(lines) == 5
