"""One monitor per database: a second one exits 1 naming the first's pid, and a first one
killed with SIGKILL leaves no lock behind. Real processes."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.support.waiting import wait_until

from .conftest import CLI, cli

MONITOR = ("run", "--headless", "--db", "plant.db", "--interval", "0.2")


def start_monitor(folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [*CLI, *MONITOR, "--duration", "60"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = folder / "plant.db.lock"
    wait_until(lambda: lock.exists() and lock.read_text().strip() == str(proc.pid), 30)
    return proc


def test_a_second_monitor_on_one_database_exits_naming_the_first(tmp_path: Path) -> None:
    first = start_monitor(tmp_path)
    try:
        second = cli(*MONITOR, "--duration", "0", cwd=tmp_path)
        assert second.returncode == 1
        assert f"pid {first.pid}" in second.stderr and "plant.db" in second.stderr
        assert second.stderr.startswith("sensor-tui: ")
        recover = cli("recover", "--db", "plant.db", cwd=tmp_path)
        assert recover.returncode == 1 and f"pid {first.pid}" in recover.stderr
        other = cli("run", "--headless", "--db", "other.db", "--duration", "0", cwd=tmp_path)
        assert other.returncode == 0, other.stderr  # another database: no conflict
    finally:
        first.kill()
        first.wait(10)


def test_a_monitor_killed_with_sigkill_leaves_no_lock(tmp_path: Path) -> None:
    first = start_monitor(tmp_path)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    after = cli(*MONITOR, "--duration", "0", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
