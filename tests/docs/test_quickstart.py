"""The quick start works where system pip refuses (PEP 668), and CI runs it.

The two commands make and use their own virtual environment, each a single line pasted from a
fresh clone; `.ci/run` runs the README's test command as written. The slow test runs the run
command for real in a copy of the checkout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands(page: str = "README.md") -> list[str]:
    """The bash blocks of a page's Quick start section, in order."""
    section = (ROOT / page).read_text(encoding="utf-8").split("## Quick start", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_quick_start_commands_make_and_use_a_virtual_environment():
    run, test = quick_start_commands()
    for command in (run, test):
        assert "\n" not in command  # one line to paste
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install ")
        assert " pip install" not in command.replace(".venv/bin/pip install", "")
    assert run.endswith("&& .venv/bin/sensor-tui")
    assert test.endswith("&& .venv/bin/pytest")


def test_the_docs_home_page_gives_the_readme_quick_start():
    assert quick_start_commands("docs/index.md") == quick_start_commands()


def test_ci_runs_the_readme_test_command():
    _, test = quick_start_commands()
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in lines


@pytest.mark.slow
def test_readme_run_command_installs_and_starts_from_a_copy(tmp_path: Path) -> None:
    """The run command, with `--version` so that it returns, in a copy without any .venv."""
    copy = tmp_path / "clone"
    ignore = shutil.ignore_patterns(
        ".venv", ".ci-venv", "*.egg-info", "__pycache__", "*.db", "site"
    )
    shutil.copytree(ROOT, copy, ignore=ignore)
    run, _ = quick_start_commands()
    done = subprocess.run(
        ["bash", "-c", run + " --version"], cwd=copy, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("version 0.1.0")
