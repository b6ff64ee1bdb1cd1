"""The shared test helpers: polling waits, timing bounds, no benchmark
imports from tests."""

from __future__ import annotations

import ast
import asyncio
import threading
import time
from pathlib import Path

import pytest

from tests.support.timing import time_limits
from tests.support.waiting import app_wait_until, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_wait_until_returns_as_soon_as_the_condition_holds():
    flag = threading.Event()
    threading.Timer(0.1, flag.set).start()
    started = time.monotonic()
    wait_until(flag.is_set, 30)
    assert time.monotonic() - started < 15  # returned on the condition, not at the deadline


def test_wait_until_fails_the_test_at_the_deadline_naming_what_was_awaited():
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"not reached in 0\.1 s: the flag"):
        wait_until(lambda: False, 0.1, "the flag")
    assert time.monotonic() - started >= 0.1
    with pytest.raises(AssertionError, match=r"lambda: 1 \+ 1 == 3"):
        wait_until(lambda: 1 + 1 == 3, 0.05)  # unnamed: the predicate's own text


def test_app_wait_until_fails_the_test_at_the_deadline():
    from textual.app import App

    async def body() -> None:
        async with App().run_test() as pilot:
            await app_wait_until(pilot, lambda: pilot.app.is_running, 5)
            with pytest.raises(AssertionError, match=r"not reached in 0\.2 s: never"):
                await app_wait_until(pilot, lambda: False, 0.2, "never")

    asyncio.run(body())


def test_time_limits_runs_the_guard_by_default_and_the_figure_under_timing():
    mark = time_limits(tight=1.0, guard=20.0).mark
    guard, tight = mark.args[1]
    assert (guard.values, guard.marks) == ((20.0,), ())
    assert tight.values == (1.0,) and [m.name for m in tight.marks] == ["timing"]


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_tests_import_no_benchmark_module():
    """Tests run benchmark scripts as programs at most; what they share is in tests/support."""
    benchmarks = {p.stem for p in (ROOT / "benchmarks").glob("*.py")}
    found = {
        path.relative_to(ROOT).as_posix(): sorted(_imported_modules(path) & benchmarks)
        for path in sorted((ROOT / "tests").rglob("*.py"))
    }
    assert {name: mods for name, mods in found.items() if mods} == {}


@pytest.mark.parametrize("marker", ["slow", "timing"])
def test_default_run_leaves_out(pytestconfig, marker):
    assert f"not {marker}" in " ".join(pytestconfig.getini("addopts"))
