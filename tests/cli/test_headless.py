"""The headless console and the stop summary.

Lines carry the UTC time; rejected readings are reported; the stop summary says what is still
waiting in the dead-letter file and the command that stores it. Real pipeline, real files.
"""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

from sensor_tui.cli.headless import ConsoleLog, run_headless
from sensor_tui.pipeline.summary import dead_letter_lines
from sensor_tui.runtime.monitor import Monitor
from tests.conftest import make_monitor
from tests.support.console import LINE, message
from tests.support.waiting import wait_until

NOW = "2026-01-01T00:00:00Z"


def _readings(*tags: str) -> list[dict]:
    return [{"tag": tag, "value": 7.0, "timestamp": NOW} for tag in tags]


def test_console_lines_start_with_the_utc_time(tmp_path, config) -> None:
    monitor = make_monitor(tmp_path / "db.sqlite", config, simulate=False)
    out = io.StringIO()
    console = ConsoleLog(monitor, out)
    monitor.pipeline.subscribe(console.stored)
    monitor.start()
    try:
        before = time.time()
        monitor.pipeline.submit(_readings("fermenter_ph"), "http").result(10)
    finally:
        monitor.stop()
    line = out.getvalue().splitlines()[0]
    stamp = LINE.match(line)
    assert stamp, line
    moment = time.mktime(time.strptime(stamp.group(1), "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert before - 2 <= moment <= time.time() + 2
    assert message(line) == "✓ Ingested 1 measurements (0 anomalies detected)"


def test_rejected_readings_of_a_batch_are_reported(tmp_path, config) -> None:
    monitor = make_monitor(tmp_path / "db.sqlite", config, simulate=False)
    out = io.StringIO()
    console = ConsoleLog(monitor, out)
    monitor.pipeline.subscribe(console.stored)
    monitor.start()
    try:
        batch = _readings("fermenter_ph", "nope", "nada")
        monitor.pipeline.submit(batch, "http").result(10)
        monitor.pipeline.submit(_readings("nope"), "http").result(10)  # nothing stored
        console.poll()
    finally:
        monitor.stop()
    lines = [message(line) for line in out.getvalue().splitlines()]
    assert lines[0] == "✓ Ingested 1 measurements (0 anomalies detected, 2 rejected: 2 unknown tag)"
    assert lines[1] == "✗ Rejected 1 measurements (1 unknown tag)"


def _drained(monitor: Monitor) -> bool:
    snap = monitor.pipeline.snapshot()
    return snap.retry_depth == 0 and not snap.outage and monitor.pipeline.dead_letter.pending() == 0


def _run_with_outage(monitor: Monitor, end_outage: bool) -> str:
    """run_headless while a thread makes the database fail (and maybe recover), then SIGTERM."""
    pipeline = monitor.pipeline

    failed: list[str] = []

    def operator() -> None:
        try:
            wait_until(lambda: pipeline.snapshot().stored > 0, 30, "a reading stored")
            pipeline.set_outage(True)
            wait_until(lambda: pipeline.snapshot().dead_lettered > 0, 30, "a reading dead-lettered")
            if end_outage:
                pipeline.set_outage(False)
                wait_until(lambda: _drained(monitor), 30, "drained after the outage")
        except AssertionError as exc:  # told to the test's thread, which fails on it
            failed.append(str(exc))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # run_headless's handler: stop and flush

    thread = threading.Thread(target=operator, daemon=True)
    thread.start()
    out = io.StringIO()
    assert run_headless(monitor, duration=60, out=out) == 0
    thread.join(10)
    assert not failed, failed
    return "\n".join(message(line) for line in out.getvalue().splitlines())


def test_stop_summary_names_what_waits_and_how_to_recover(tmp_path, config) -> None:
    monitor = make_monitor(tmp_path / "db.sqlite", config)
    text = _run_with_outage(monitor, end_outage=False)
    pending = monitor.pipeline.dead_letter.pending()
    assert pending > 0
    assert f"{pending:,} readings wait in the dead-letter file" in text
    assert f"sensor-tui recover --db {tmp_path / 'db.sqlite'} --dead-letter" in text


def test_stop_summary_says_when_everything_was_replayed(tmp_path, config) -> None:
    monitor = make_monitor(tmp_path / "db.sqlite", config)
    text = _run_with_outage(monitor, end_outage=True)
    dead_lettered = monitor.pipeline.snapshot().dead_lettered
    assert dead_lettered > 0 and monitor.pipeline.dead_letter.pending() == 0
    assert f"all {dead_lettered:,} dead-lettered readings were replayed" in text
    assert "wait in the dead-letter file" not in text


def test_dead_letter_lines() -> None:
    db, dl = Path("my data/s.db"), Path("f.jsonl")
    assert dead_letter_lines(0, 0, dl, db) == []
    [waiting] = dead_letter_lines(5, 3, dl, db)
    assert "3 readings wait" in waiting and "--db 'my data/s.db' --dead-letter f.jsonl" in waiting
    [empty] = dead_letter_lines(159, 0, dl, db)
    assert "empty: all 159 dead-lettered readings were replayed" in empty
