"""The real `sensor-tui` command in a pseudo-terminal: SIGTERM quits after flushing."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from tests.support.db import stored_rows

pytestmark = pytest.mark.timeout(60)


def test_sigterm_flushes_and_exits_cleanly(tmp_path):
    exe = shutil.which("sensor-tui", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("sensor-tui console script not installed")
    db = tmp_path / "sensor_data.db"
    pid, master = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(exe, [exe, "--db", str(db), "--interval", "0.05", "--seed", "5"])
    output = b""
    deadline = time.monotonic() + 30
    status = None
    sent = False
    while status is None and time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
                output += os.read(master, 65536)
        if not sent and b"RUNNING" in output and stored_rows(db) > 0:  # polled while reading
            os.kill(pid, signal.SIGTERM)
            sent = True
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
    os.close(master)
    assert sent and status is not None, output[-2000:]
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"sensor-tui stopped:" in output
    stored = int(output.split(b"sensor-tui stopped: ")[1].split(b" stored")[0].replace(b",", b""))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM measurements").fetchone()[0] == stored > 0
