"""`sensor-tui stats`: per tag, what the database holds, and the dead-letter file's state.

Why a module: reading a database's own tag list (so `stats` and `recover` need no --config)
and printing the table are the only read-only report of the small commands.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import click

from sensor_tui.cli.errors import fail as _fail
from sensor_tui.cli.options import db_option, dead_letter_option, dead_letter_path
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.tags import Config, load_config

if TYPE_CHECKING:
    from sensor_tui.storage import Reader


@click.command()
@db_option
@dead_letter_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def stats(db: str, dead_letter: str | None, as_json: bool) -> None:
    """Per tag: readings, first and last timestamp, anomalies; dead-letter size."""
    from sensor_tui.pipeline.deadletter import DeadLetter
    from sensor_tui.storage import Reader

    if not os.path.isfile(db):
        _fail(f"no database at {db}")
    reader = Reader(db)
    try:
        tags = reader.tag_stats(list(_stats_config(reader).tag_names))
    except SensorTuiError as exc:
        _fail(str(exc), 1)
    finally:
        reader.close()
    letters = DeadLetter(dead_letter_path(db, dead_letter))
    pending = letters.pending()
    dead: dict[str, Any] = {
        "path": str(letters.path),
        "pending": None if letters.error else pending,  # unknown, not zero
        "bad_lines": letters.bad_count(),
    }
    if letters.error:
        dead["error"] = letters.error
    report = {"database": db, "tags": tags, "dead_letter": dead}
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_stats(report)


def recorded_config(db: str) -> Config:
    """The tags recorded in the database file, if there is one, else the built-ins."""
    from sensor_tui.storage import Reader, StoreUnavailable

    if not os.path.isfile(db):
        return load_config(None)
    reader = Reader(db)
    try:
        return _stats_config(reader)
    except StoreUnavailable:
        return load_config(None)
    finally:
        reader.close()


def _stats_config(reader: Reader) -> Config:
    """The tags recorded in the database (so `stats` needs no --config), else the built-ins."""
    from sensor_tui.model.tags import Tag

    rows = reader.tag_rows()
    tags = tuple(
        Tag(
            r["name"],
            r["unit"] or "",
            (r["normal_low"], r["normal_high"]),
            (r["valid_low"], r["valid_high"]),
        )
        for r in rows
    )
    return Config(tags=tags) if tags else load_config(None)


def _short_ts(stamp: str | None) -> str:
    """`2026-11-26 17:31:07` for a table cell: seconds are enough to read."""
    return f"{stamp[:10]} {stamp[11:19]}" if stamp else "-"


def _print_stats(report: dict[str, Any]) -> None:
    from rich import box
    from rich.console import Console, JustifyMethod
    from rich.table import Table

    table = Table(title=f"sensor-tui: {report['database']}", box=box.SIMPLE_HEAD)
    for column in ("tag", "readings", "first", "last", "anomalies"):
        justify: JustifyMethod = "right" if column in ("readings", "anomalies") else "left"
        table.add_column(column, justify=justify, no_wrap=True)
    for row in report["tags"]:
        table.add_row(
            row["tag"],
            str(row["count"]),
            _short_ts(row["first"]),
            _short_ts(row["last"]),
            str(row["anomalies"]),
        )
    console = Console()
    if not console.is_terminal:  # piped: no terminal width to respect, so do not truncate
        console.width = 120
    console.print(table)
    dl = report["dead_letter"]
    if dl.get("error"):
        console.print(f"dead letter: UNREADABLE, {dl['error']}", markup=False)
        return
    console.print(
        f"dead letter: {dl['pending']} pending, {dl['bad_lines']} unreadable "
        f"lines set aside ({dl['path']})"
    )
