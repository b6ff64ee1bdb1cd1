"""The reference pages come from the code, and every command and option is in them."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from sensor_tui.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "docs" / "gen_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_and_key_pages_are_what_the_code_generates():
    gen = _generator()
    assert gen.CLI_PAGE.read_text(encoding="utf-8") == gen.cli_markdown(), (
        "docs/reference/cli.md is stale: run `python docs/gen_reference.py`"
    )
    assert gen.KEYS_PAGE.read_text(encoding="utf-8") == gen.keys_markdown()


def test_every_command_and_option_is_in_the_command_reference():
    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    gen = _generator()
    missing = []
    for name, command in gen.walk(cli):
        if f"## `{name}`" not in page:
            missing.append(name)
            continue
        section = page.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            if isinstance(param, click.Option):
                missing += [
                    f"{name} {opt}"
                    for opt in param.opts
                    if f"`{opt}" not in section and f" {opt}" not in section
                ]
    assert not missing, missing


def test_a_new_option_is_noticed():
    """The check above is not vacuous: an option the page lacks is reported."""
    gen = _generator()
    extra = click.Command("probe", params=[click.Option(["--never-documented"])])
    section = gen.command_section("sensor-tui probe", extra)
    assert "--never-documented" in section
    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert "--never-documented" not in page


def test_every_page_is_in_the_site_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")]
    assert pages
    assert [p for p in pages if p not in nav] == []


@pytest.mark.skipif(
    shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None,
    reason="mkdocs is not installed in this environment (the test extra has it)",
)
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    mkdocs = str(Path(sys.executable).parent / "mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "cli" / "index.html").exists()
