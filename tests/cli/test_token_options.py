"""The HTTP token: a blank one is refused, `--token` warns that `ps` shows it, `--token-file`
and SENSOR_TUI_TOKEN do not. Real subprocesses (the monitor headless, zero seconds)."""

from __future__ import annotations

import os
from pathlib import Path

from sensor_tui.cli.token import PS_WARNING

from .conftest import cli

HEADLESS = ("run", "--headless", "--no-sim", "--duration", "0", "--http", "127.0.0.1:0")


def test_a_whitespace_only_token_is_refused(tmp_path: Path) -> None:
    done = cli(*HEADLESS, "--token", "   ", cwd=tmp_path)
    assert done.returncode == 2 and "whitespace" in done.stderr


def test_a_token_on_the_command_line_warns_that_ps_shows_it(tmp_path: Path) -> None:
    done = cli(*HEADLESS, "--token", "s3cret-token", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert PS_WARNING in done.stderr


def test_a_token_file_is_read_and_does_not_warn(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("s3cret-token\n")
    os.chmod(tmp_path / "token", 0o600)
    done = cli(*HEADLESS, "--token-file", "token", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ps" not in done.stderr
    (tmp_path / "blank").write_text(" \n")
    assert cli(*HEADLESS, "--token-file", "blank", cwd=tmp_path).returncode == 2
