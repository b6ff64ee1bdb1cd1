"""Alarm notifications: a configured command run for each transition, the alarm as JSON on stdin.

The writer thread only offers the change to a bounded queue (never waits); a thread of its own
runs the command with a timeout, so a command that hangs or fails costs a log line, never
ingest. When the queue is full (a flood, a command slower than the alarms) the newest
transitions are dropped and counted: the operator's screen still shows them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import threading
from typing import Any

from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.model.alarm_record import AlarmRow, AnyAlarmRow
from sensor_tui.model.alarm_settings import AlarmSettings

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
PASSED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
"""The only environment variables a notification command gets: enough to find programs and
speak the locale, never the monitor's secrets (SENSOR_TUI_TOKEN, the MQTT password)."""
REAP_SECONDS = 2.0
"""How long to wait for a killed command's pipes before leaving them: a grandchild that escaped
the process group (`setsid`) may hold them open for its whole life."""


def command_env() -> dict[str, str]:
    """The notification command's environment (see PASSED_ENV)."""
    return {name: os.environ[name] for name in PASSED_ENV if name in os.environ}


def notice(change: AlarmChange) -> dict[str, Any]:
    """The JSON document a notification command reads on stdin."""
    return {
        "event": "alarm_transition",
        "from_state": change.from_state,
        "to_state": change.to_state,
        "actor": change.actor,
        "via": change.via,
        "alarm": _decoded(change.row),
    }


def _decoded(row: AnyAlarmRow) -> AnyAlarmRow:
    """The row as GET /alarms/{id} gives it: a unit alarm's contributions as an object (a row
    without contributions text, decoded already or partial, is passed on as it is)."""
    raw = row.get("contributions")
    if not isinstance(raw, str):
        return row
    decoded: AlarmRow = {**row, "contributions": json.loads(raw)}
    return decoded


class Notifier:
    """Runs `settings.notify` once per alarm transition, on its own thread."""

    def __init__(self, settings: AlarmSettings, queue_size: int = QUEUE_SIZE) -> None:
        self.settings = settings
        self._queue: queue.Queue[AlarmChange | None] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="alarm-notify", daemon=True)
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    def start(self) -> None:
        """Start the sending thread."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued (within `timeout`), then stop."""
        if not self._thread.is_alive():
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.warning("alarm notifications still queued at shutdown were not sent")
            return
        self._thread.join(timeout)

    def offer(self, changes: list[AlarmChange]) -> None:
        """Writer thread: queue the transitions among `changes`; never blocks."""
        for change in changes:
            if not change.transition:
                continue
            try:
                self._queue.put_nowait(change)
            except queue.Full:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 100 == 0:
                    log.warning("alarm notification queue full: %d dropped", self.dropped)

    def _run(self) -> None:
        while (change := self._queue.get()) is not None:
            self._send(change)

    def _send(self, change: AlarmChange) -> None:
        body = json.dumps(notice(change), default=str).encode()
        argv = list(self.settings.notify)
        try:
            # A session of its own: on timeout the whole group goes, grandchildren included,
            # so none can hold the pipe open and hang this thread.
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env=command_env(),
            )
        except OSError as exc:
            self._failed(change, str(exc))
            return
        try:
            _, err = proc.communicate(body, timeout=self.settings.notify_timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            self._failed(change, f"timed out after {self.settings.notify_timeout:g} s")
            return
        if proc.returncode != 0:
            text = err.decode(errors="replace").strip()[:200]
            self._failed(change, f"exit status {proc.returncode}: {text}")
            return
        self.sent += 1

    def _failed(self, change: AlarmChange, reason: str) -> None:
        self.failed += 1
        log.warning(
            "alarm notification %s for %s (%s -> %s) failed: %s",
            self.settings.notify[0],
            change.row.get("id"),
            change.from_state,
            change.to_state,
            reason,
        )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command's process group, then reap it without waiting on its pipes for long."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.communicate(timeout=REAP_SECONDS)
    except subprocess.TimeoutExpired:  # an escaped grandchild holds the pipe: let it go
        for pipe in (proc.stdin, proc.stderr):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(REAP_SECONDS)
