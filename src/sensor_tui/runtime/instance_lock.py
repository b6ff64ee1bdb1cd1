"""One monitor per database: a lock file beside it, held while the process lives.

Two monitors on one file would share its MQTT client id (each kicking the other off the broker,
88 times in 50 s when tried) and its dead-letter file, and race each other's replays. The lock
is an `flock` on `<database>.lock`: the kernel releases it when the process exits, however it
exits (kill -9 included), so a crash never leaves a stale lock to clean up by hand. The file
holds the owner's pid, so the refusal can name it. The file itself stays (removing it on exit
would race a second monitor that has just opened it); an unlocked file is no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sensor_tui.model.errors import SensorTuiError


class InstanceLocked(SensorTuiError):
    """Another process holds the database's lock; the message names its pid."""


class InstanceLock:
    """The held lock; `release()` (or process exit) lets the next monitor in."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        """Unlock and close (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def lock_path(db_path: str | Path) -> Path:
    """`<database>.lock`, beside the database."""
    db = Path(db_path)
    return db.with_name(db.name + ".lock")


def acquire(db_path: str | Path) -> InstanceLock:
    """Take the database's lock or raise InstanceLocked naming the holder (OSError when the
    lock file cannot be created, e.g. the folder does not exist)."""
    path = lock_path(db_path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise InstanceLocked(
            f"another sensor-tui ({holder}) is running on {db_path}; stop it, or give this "
            "one another --db"
        ) from None
    except OSError:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return InstanceLock(path, fd)


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return f"pid {int(os.pread(fd, 32, 0).decode().strip())}"
    return "pid unknown"
