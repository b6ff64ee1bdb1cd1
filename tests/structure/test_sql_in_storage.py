"""Layer rules that a grep can check: all SQL lives in `sensor_tui.storage`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from click.testing import CliRunner

from sensor_tui.cli import cli
from sensor_tui.pipeline.deadletter import DEFAULT_NAME

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "sensor_tui"
SQL = re.compile(
    r"^\s*(SELECT\b.+\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|(CREATE|DROP)\s+(TABLE|INDEX|VIEW|TRIGGER)\b|ALTER\s+TABLE\b|PRAGMA\s+\w+"
    r"|(BEGIN|COMMIT|ROLLBACK)\b\s*(IMMEDIATE|EXCLUSIVE|TRANSACTION)?\s*$)",
    re.I | re.S,
)


def sql_strings(path: Path) -> list[str]:
    """String constants in `path` that read as SQL statements (docstrings are not SQL)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and SQL.match(node.value)
    ]


def test_the_sql_check_sees_sql() -> None:
    assert sql_strings(PACKAGE / "storage" / "store.py")  # the check itself can fail


def test_no_sql_outside_storage() -> None:
    found = {
        str(path.relative_to(PACKAGE)): strings
        for path in sorted(PACKAGE.rglob("*.py"))
        if "storage" not in path.relative_to(PACKAGE).parts and (strings := sql_strings(path))
    }
    assert found == {}


def test_the_default_dead_letter_path_is_the_documented_one() -> None:
    """Defined once (`deadletter.DEFAULT_NAME`); the help text names the same file."""
    help_text = CliRunner().invoke(cli, ["run", "--help"]).output
    assert DEFAULT_NAME in " ".join(help_text.split())
