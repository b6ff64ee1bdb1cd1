"""`sensor-tui` (the terminal UI) exits non-zero when it cannot run or crashes: Textual returns
normally from `App.run()` after printing a crash's traceback, and the command used to exit 0."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import socket
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

CRASH = (
    "import sys\n"
    "from sensor_tui.tui.app import SensorApp\n"
    "def crash(self, *args, **kwargs):\n"
    "    raise RuntimeError('crash injected by the test')\n"
    "SensorApp.refresh_status = crash\n"
    "from sensor_tui.cli import cli\n"
    "sys.argv = ['sensor-tui', *sys.argv[1:]]\n"
    "cli()\n"
)


def run_in_terminal(args: list[str], timeout: float = 40.0) -> tuple[int, str]:
    """Run `python -c CRASH-or-cli args` in a pseudo-terminal; (exit status, all output)."""
    pid, master = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, *args])
    output = b""
    deadline = time.monotonic() + timeout
    status = None
    while status is None and time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            with contextlib.suppress(OSError):
                output += os.read(master, 65536)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
    with contextlib.suppress(OSError):
        while select.select([master], [], [], 0.2)[0]:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            output += chunk
    os.close(master)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError(output[-2000:])
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_a_crash_of_the_ui_exits_1_with_its_traceback(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, output = run_in_terminal(["-c", CRASH, "--no-sim", "--db", str(db)])
    assert code == 1, output[-2000:]
    assert "crash injected by the test" in output


def test_a_monitor_that_cannot_start_exits_2_with_the_reason(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["-m", "sensor_tui", "--no-sim", "--db", str(tmp_path / "x.db")]
        code, output = run_in_terminal([*args, "--http", f"127.0.0.1:{port}"])
    assert code == 2, output[-2000:]
    assert "sensor-tui:" in output
