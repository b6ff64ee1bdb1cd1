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

from sensor_tui.alarming.settings import AlarmSettings
from sensor_tui.storage.alarms import AlarmChange

log = logging.getLogger(__name__)

QUEUE_SIZE = 256


def notice(change: AlarmChange) -> dict[str, Any]:
    """The JSON document a notification command reads on stdin."""
    return {
        "event": "alarm_transition",
        "from_state": change.from_state,
        "to_state": change.to_state,
        "actor": change.actor,
        "via": change.via,
        "alarm": change.row,
    }


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
            )
        except OSError as exc:
            self._failed(change, str(exc))
            return
        try:
            _, err = proc.communicate(body, timeout=self.settings.notify_timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
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
