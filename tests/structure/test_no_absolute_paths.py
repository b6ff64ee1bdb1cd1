"""No test, benchmark or module names an absolute path.

A path such as `/work/shared/data` holds on one machine only: a fresh clone elsewhere (CI, a
colleague's laptop, `/root/...`) fails or silently skips. Data is read relative to the project
(`Path(__file__).resolve().parents[N]`), temporary files come from `tmp_path` or `tempfile`.
Docstrings may mention paths; string literals the code uses may not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("src", "tests", "benchmarks", "docs")
ABSOLUTE = re.compile(r"^(/(work|root|home|Users|tmp|mnt|opt|srv|var)(/|$)|[A-Za-z]:\\)")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of the module, classes and functions."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            found.add(id(first.value))
    return found


def absolute_paths(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every string literal, docstrings aside, that is an absolute path."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and ABSOLUTE.match(node.value)
    ]


def test_the_check_finds_an_absolute_path():
    source = '"""Reads /srv/x."""\nDATA = Path("/srv/shared/data")\nTMP = f"/tmp/{name}"\n'
    assert absolute_paths(source) == [(2, "/srv/shared/data"), (3, "/tmp/")]
    assert absolute_paths('URL = "/ingest/batch"\nREL = "../shared/data"\n') == []


def test_no_test_or_benchmark_names_an_absolute_path():
    found = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():  # its own examples
                continue
            name = path.relative_to(ROOT).as_posix()
            for line, literal in absolute_paths(path.read_text(encoding="utf-8")):
                found.append(f"{name}:{line}: {literal!r}")
    assert not found, "absolute paths (read relative to the project instead):\n" + "\n".join(found)
