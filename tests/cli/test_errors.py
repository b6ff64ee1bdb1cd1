"""Errors: the project's own error base, edges that catch only it and OSError,
a guarded simulator thread, and an unreadable dead-letter file reported as such."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sensor_tui.cli import cli
from sensor_tui.cli.headless import ConsoleLog
from sensor_tui.http import metrics
from sensor_tui.http.server import BindError
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.readings import Reading
from sensor_tui.model.tags import Config, ConfigError
from sensor_tui.pipeline import NotDurable, Pipeline, PipelineStopped
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.sources.csv_import import ImportFileError
from sensor_tui.sources.simulator import Simulator, SimulatorThread
from sensor_tui.storage import SchemaTooNew, StoreUnavailable
from sensor_tui.tui.app import make_app
from sensor_tui.tui.status import MonitorState, StatusBar, status_markup
from tests.conftest import make_monitor, run
from tests.support.waiting import app_wait_until, wait_until

CLI = [sys.executable, "-m", "sensor_tui"]


def state(**changes: object) -> MonitorState:
    fields: dict = dict(
        simulator=True, paused=False, frozen=False, frozen_count=0, window=60, db_path="x.db"
    )
    return MonitorState(**{**fields, **changes})


def test_project_errors_share_one_base() -> None:
    for error in (
        ConfigError,
        ImportFileError,
        NotDurable,
        PipelineStopped,
        StoreUnavailable,
        SchemaTooNew,
        BindError,
    ):
        assert issubclass(error, SensorTuiError), error
        assert not issubclass(error, RuntimeError), error


def test_unknown_detector_is_one_clear_line(tmp_path: Path) -> None:
    """A configuration error found when the pipeline is built: exit 2, a message, no traceback."""
    (tmp_path / "cfg.toml").write_text('detector = "nonesuch"\n')
    proc = subprocess.run(
        [*CLI, "run", "--headless", "--duration", "0", "--config", "cfg.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "unknown detector 'nonesuch'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bug_is_not_hidden_behind_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ValueError from our own code is a bug: it must escape with its traceback."""

    def buggy_start(self: Monitor) -> None:
        raise ValueError("a bug, not a user error")

    monkeypatch.setattr(Monitor, "start", buggy_start)
    result = CliRunner().invoke(
        cli, ["run", "--headless", "--duration", "0", "--db", str(tmp_path / "t.db")]
    )
    assert isinstance(result.exception, ValueError), result.output
    assert result.exit_code != 2


class FailingSimulator(Simulator):
    """The real simulator, with a bug in ticks `first` to `last` (1-based)."""

    def __init__(self, config: Config, first: int, last: int) -> None:
        super().__init__(config, seed=1)
        self.calls, self.first, self.last = 0, first, last

    def next_batch(self, moment: datetime | None = None) -> list[Reading]:
        self.calls += 1
        if self.first <= self.calls <= self.last:
            raise ZeroDivisionError("simulator bug")
        return super().next_batch(moment)


def test_simulator_thread_survives_and_reports_an_exception(
    pipeline: Pipeline, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    sim = FailingSimulator(config, first=3, last=8)
    thread = SimulatorThread(sim, pipeline, interval=0.01)
    with caplog.at_level(logging.ERROR):
        thread.start()
        try:
            wait_until(lambda: pipeline.snapshot().source_errors >= 3, 5)
            failing = thread.error
            snap = pipeline.snapshot()
            shown = status_markup(state(simulator_error=failing), snap)
            wait_until(lambda: sim.calls > 10 and thread.error is None, 5)  # recovered
        finally:
            thread.stop()
    assert failing == "ZeroDivisionError: simulator bug"
    assert snap.source_error == "simulator: ZeroDivisionError: simulator bug"
    assert snap.as_dict()["source_errors"] >= 3
    assert "SIMULATOR FAILED" in shown and "RUNNING" not in shown
    assert pipeline.snapshot().source_errors == 6
    exposed = metrics.render(pipeline.snapshot(), {}, 1.0).splitlines()
    assert "sensor_tui_source_errors_total 6" in exposed  # an alert can watch for it
    assert pipeline.flush(5) and pipeline.snapshot().stored == 3 * (sim.calls - 6)
    tracebacks = [r for r in caplog.records if r.getMessage() == "simulator tick failed"]
    assert len(tracebacks) == 1 and tracebacks[0].exc_info  # once, not once per tick


def test_app_status_shows_a_failing_simulator(tmp_path: Path, config: Config) -> None:
    monitor = make_monitor(tmp_path / "t.db", config)
    assert monitor.simulator is not None
    monitor.simulator.simulator = FailingSimulator(config, first=1, last=10**9)
    app = make_app(monitor)

    async def body() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await app_wait_until(pilot, lambda: "SIMULATOR FAILED" in app.query_one(StatusBar).text)
            assert "RUNNING" not in app.query_one(StatusBar).text

    run(body())


def test_unreadable_dead_letter_is_reported_not_zero(config: Config, db_path: Path) -> None:
    unreadable = db_path.with_name("failed_measurements.jsonl")  # the default, beside the db
    unreadable.mkdir()  # reading it fails even for root, unlike a mode-000 file
    pipe = Pipeline(config, db_path)
    pipe.start()
    try:
        snap = pipe.snapshot()
    finally:
        pipe.stop()
    assert snap.dead_letter_error.startswith(f"cannot read {unreadable}")
    assert snap.as_dict()["dead_letter_error"] == snap.dead_letter_error
    shown = status_markup(state(), snap)
    assert "UNREADABLE" in shown and "dead letter 0" not in shown

    stats = CliRunner().invoke(cli, ["stats", "--db", str(db_path), "--json"])
    report = json.loads(stats.output)["dead_letter"]
    assert report["pending"] is None and report["error"].startswith("cannot read")
    text = CliRunner().invoke(cli, ["stats", "--db", str(db_path)])
    assert "dead letter: UNREADABLE" in text.output and "0 pending" not in text.output


def test_headless_log_names_a_failing_simulator(tmp_path: Path, config: Config) -> None:
    monitor = make_monitor(tmp_path / "t.db", config, interval=0.01)
    assert monitor.simulator is not None
    monitor.simulator.simulator = FailingSimulator(config, first=2, last=4)
    out = io.StringIO()
    console = ConsoleLog(monitor, out)
    monitor.start()
    try:
        wait_until(lambda: monitor.pipeline.snapshot().source_errors == 3, 5)
        console.poll()
        console.poll()  # nothing new: no second line
    finally:
        monitor.stop()
    lines = [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]  # after the time
    failures = [line for line in lines if line.startswith("✗ simulator")]
    assert failures == [
        "✗ simulator: ZeroDivisionError: simulator bug (failed 3 times; see the log)"
    ]
