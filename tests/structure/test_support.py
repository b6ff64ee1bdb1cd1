"""The shared test helpers: polling waits, timing bounds, no benchmark
imports from tests."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest

from tests.support.timing import time_limits
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_wait_until_returns_as_soon_as_the_condition_holds():
    flag = threading.Event()
    threading.Timer(0.1, flag.set).start()
    started = time.monotonic()
    assert wait_until(flag.is_set, 30)
    assert time.monotonic() - started < 15  # returned on the condition, not at the deadline


def test_wait_until_gives_up_at_the_deadline():
    started = time.monotonic()
    assert wait_until(lambda: False, 0.1) is False
    assert time.monotonic() - started >= 0.1


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
