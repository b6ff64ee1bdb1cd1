"""Helpers for the fault suite: real subprocesses, real files, bounded waits."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import Pipeline, RetryPolicy
from tests.support.chaos import DRIVER, LockHolder
from tests.support.chaos_keys import batch_keys
from tests.support.console import message
from tests.support.waiting import wait_until

FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)
PYTHON = sys.executable


@pytest.fixture
def make_pipeline(tmp_path: Path) -> Iterator:
    """Build started pipelines on tmp files; stop them all at the end."""
    made: list[Pipeline] = []

    def make(retry: RetryPolicy = FAST_RETRY, dead_letter: Path | None = None) -> Pipeline:
        dl = dead_letter or tmp_path / "failed.jsonl"
        pipeline = Pipeline(load_config(None), tmp_path / "t.db", dl, retry)
        pipeline.start()
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.stop(timeout=10)


def measurements(start: int, n: int, tag: str = "fermenter_temp") -> list[dict]:
    """n valid measurements with distinct timestamps (seconds from 2025-01-01 + start)."""
    return [
        {"tag": tag, "timestamp": 1735689600 + start + i, "value": 37.0 + (i % 5) / 10}
        for i in range(n)
    ]


def db_keys(db: Path) -> list[tuple[str, str]]:
    """Every (tag, timestamp) row in the database, duplicates kept."""
    import sqlite3

    conn = sqlite3.connect(db, timeout=10)
    try:
        return list(conn.execute("SELECT tag, timestamp FROM measurements"))
    finally:
        conn.close()


def sensor_tui(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run the real CLI."""
    return subprocess.run(
        [PYTHON, "-m", "sensor_tui", *args], capture_output=True, text=True, timeout=120, **kwargs
    )


def _ignore_sigxfsz() -> None:
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


class _Drain:
    """Reads a child's pipe on a thread, line by line, so the child never blocks on it."""

    def __init__(self, stream: Any, on_line: Callable[[str], None] | None = None) -> None:
        self.lines: list[str] = []
        self._stream, self._on_line = stream, on_line
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self.lines.append(line.rstrip("\n"))
            if self._on_line is not None:
                self._on_line(self.lines[-1])

    def join(self) -> None:
        """Wait for the end of the stream (the child exited)."""
        self._thread.join(10)

    def text(self) -> str:
        """Everything read so far."""
        return "\n".join(self.lines)


class Driver:
    """`tests/support/chaos_driver.py` as a child process, its JSON events collected."""

    def __init__(self, db: Path, dead_letter: Path, run: int = 1, **opts: object) -> None:
        cmd = [PYTHON, str(DRIVER), "--db", str(db)]
        cmd += ["--dead-letter", str(dead_letter), "--run", str(run)]
        for name, value in opts.items():
            if name != "prefix":
                cmd += [f"--{name.replace('_', '-')}", str(value)]
        prefix = list(opts.get("prefix", []))  # type: ignore[call-overload]
        self.proc = subprocess.Popen(
            prefix + cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ignore_sigxfsz,  # a file-size limit then fails writes, not the process
        )
        self.events: list[dict] = []
        self._out = _Drain(self.proc.stdout, self._event)  # a full pipe would stall the child
        self._err = _Drain(self.proc.stderr)
        wait_until(lambda: bool(self.events) or self.proc.poll() is not None, 60, "first event")
        assert self.events and self.events[0]["ev"] == "ready", self._err.text()

    def _event(self, line: str) -> None:
        with contextlib.suppress(ValueError):  # a line cut by SIGKILL
            self.events.append(json.loads(line))

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for the exit and the last events; return (code, stderr)."""
        code = self.proc.wait(timeout)
        self._out.join()
        self._err.join()
        return code, self._err.text()

    def acked(self) -> list[dict]:
        """The ack events."""
        return [e for e in self.events if e["ev"] == "ack"]

    def stopped(self) -> dict:
        """The final counters the driver printed after a clean stop."""
        return next(e for e in self.events if e["ev"] == "stopped")


def acked_keys(driver: Driver, batch_size: int) -> list[tuple[str, str]]:
    """(tag, timestamp) of every reading the driver acknowledged."""
    return [k for e in driver.acked() for k in batch_keys(e["run"], e["index"], batch_size)]


__all__ = [
    "FAST_RETRY",
    "Driver",
    "Headless",
    "LockHolder",
    "acked_keys",
    "db_keys",
    "measurements",
    "wait_until",
]


class Headless:
    """`sensor-tui run --headless` as a child process, its stdout lines collected on a thread."""

    def __init__(self, db: Path, *args: str, prefix: list[str] | None = None) -> None:
        cmd = [PYTHON, "-m", "sensor_tui", "run", "--headless", "--db", str(db), *args]
        self.proc = subprocess.Popen(
            [*(prefix or []), *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self._out = _Drain(self.proc.stdout)
        self._err = _Drain(self.proc.stderr)
        self.lines = self._out.lines

    def wait_for(self, text: str, timeout: float = 30) -> None:
        """Return once a stdout line contains `text`; fail the test after `timeout` seconds."""
        wait_until(lambda: any(text in line for line in self.lines), timeout, f"{text!r} on stdout")

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for the exit; return (code, stderr)."""
        code = self.proc.wait(timeout)
        self._out.join()
        self._err.join()
        return code, self._err.text()

    def stopped_counts(self) -> dict[str, int]:
        """The numbers of the final `Stopped: ...` line."""
        line = next(message(line) for line in self.lines if message(line).startswith("Stopped:"))
        words = line.replace(",", "").split()
        return {words[i + 1]: int(words[i]) for i in range(1, len(words) - 1, 2)}
