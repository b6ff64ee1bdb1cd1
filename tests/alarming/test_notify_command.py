"""The notification command runs with a minimal environment, and one that leaves a grandchild
holding its pipes (escaped with setsid) does not hold up the notifications after it. Real
subprocesses."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from sensor_tui.alarming.notify import Notifier
from sensor_tui.model.alarm_settings import AlarmSettings
from sensor_tui.storage.alarms import AlarmChange
from tests.support.waiting import wait_until

CHANGE = AlarmChange({"id": "fermenter_temp@1"}, "unack", "acked")


def test_the_command_does_not_inherit_the_monitors_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENSOR_TUI_TOKEN", "s3cret-token")
    monkeypatch.setenv("SENSOR_TUI_MQTT_PASSWORD", "broker-password")
    out = tmp_path / "env.json"
    script = f"import json, os; open({str(out)!r}, 'w').write(json.dumps(dict(os.environ)))"
    notifier = Notifier(AlarmSettings((sys.executable, "-c", script), 10.0))
    notifier.start()
    notifier.offer([CHANGE])
    notifier.stop(timeout=20)
    env = json.loads(out.read_text())
    assert notifier.sent == 1
    assert "SENSOR_TUI_TOKEN" not in env and "SENSOR_TUI_MQTT_PASSWORD" not in env
    assert env.get("PATH") == os.environ["PATH"]


def test_a_grandchild_that_escaped_the_group_does_not_block_the_next_notification(
    tmp_path: Path,
) -> None:
    pid_file = tmp_path / "escaped.pid"
    escape = f'setsid sh -c "echo \\$\\$ >> {pid_file}; exec sleep 20" & exec sleep 20'
    notifier = Notifier(AlarmSettings(("sh", "-c", escape), 0.3))
    notifier.start()
    try:
        started = time.monotonic()
        notifier.offer([CHANGE, CHANGE])
        wait_until(lambda: notifier.failed == 2, 15)
        assert time.monotonic() - started < 12  # two kills and reaps, not 20 s of sleep each
    finally:
        notifier.stop(timeout=5)
        for line in pid_file.read_text().split() if pid_file.exists() else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line), signal.SIGKILL)
