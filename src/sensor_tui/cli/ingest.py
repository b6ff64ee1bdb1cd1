"""`sensor-tui import` and `sensor-tui recover`: files sent through the pipeline by hand.

Why together: both run the pipeline without the monitor (a CSV in, or the dead-letter file
replayed) and print what was stored, already stored and set aside.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from sensor_tui.cli.errors import fail as _fail
from sensor_tui.cli.options import (
    config_from,
    config_option,
    db_option,
    dead_letter_option,
    dead_letter_path,
)
from sensor_tui.cli.start import instance_lock as _instance_lock
from sensor_tui.cli.stats import recorded_config
from sensor_tui.model.errors import SensorTuiError


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
@config_option
@click.option("--tag", help="Tag for every row, when the CSV has only timestamp,value.")
def import_command(file: str, db: str, config: str | None, tag: str | None) -> None:
    """Send a CSV (timestamp,tag,value) through the pipeline: validate, detect, store."""
    from sensor_tui.pipeline import Pipeline
    from sensor_tui.sources.csv_import import import_csv

    cfg = config_from(config)
    if tag is not None and cfg.tag(tag) is None:
        _fail(f"--tag {tag!r} is not a configured tag (known: {', '.join(cfg.tag_names)})")
    if not os.path.isfile(file):
        _fail(f"cannot read {file}: no such file")
    pipeline = Pipeline(cfg, db, dead_letter_path(db, None))
    try:
        pipeline.start()
        summary = _import_with_progress(pipeline, file, tag, import_csv)
    except (SensorTuiError, OSError) as exc:
        _fail(str(exc))
    finally:
        pipeline.stop()
    _print_import_summary(summary, pipeline.snapshot())
    if summary.nothing_imported:  # not a success for a script that checks $?
        click.echo(f"sensor-tui: nothing imported: all {summary.rows} rows were rejected", err=True)
        sys.exit(1)


def _import_with_progress(pipeline: Any, file: str, tag: str | None, import_csv: Any) -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_console(), transient=True) as bar:
        task = bar.add_task(f"Importing {Path(file).name}", total=os.path.getsize(file))
        summary = import_csv(pipeline, file, tag, lambda done: bar.update(task, completed=done))
        bar.update(task, completed=os.path.getsize(file))
    return summary


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _print_import_summary(summary: Any, snap: Any) -> None:
    rejected = sum(summary.rejected.values())
    click.echo(
        f"Imported {summary.rows} rows: {summary.stored} stored, "
        f"{summary.duplicates} already stored, {rejected} rejected, "
        f"{summary.dead_lettered} dead-lettered, {summary.anomalies} anomalies"
    )
    for reason, count in summary.rejected.most_common():
        click.echo(f"  rejected {count}: {reason}")
    for line, reason in summary.first_rejections:
        click.echo(f"  line {line}: {reason}")
    more = rejected - len(summary.first_rejections)
    if more > 0:
        click.echo(f"  … and {more} more rejected line{'s' if more != 1 else ''}")


@click.command()
@db_option
@dead_letter_option
@config_option
def recover(db: str, dead_letter: str | None, config: str | None) -> None:
    """Replay the dead-letter file into the database now (idempotent)."""
    from sensor_tui.pipeline import Pipeline

    folder = os.path.dirname(os.path.abspath(db))
    if not os.path.isdir(folder):
        _fail(f"no folder {folder} for the database {db}")
    cfg = config_from(config) if config else recorded_config(db)
    lock = _instance_lock(db)  # a running monitor replays this file itself
    pipeline = Pipeline(cfg, db, dead_letter_path(db, dead_letter))
    try:
        result = pipeline.replay_dead_letter()
    except (SensorTuiError, OSError) as exc:
        _fail(f"cannot replay {pipeline.dead_letter.path}: {exc}", 1)
    finally:
        lock.release()
    click.echo(
        f"Replayed {pipeline.dead_letter.path}: {result.stored} stored, "
        f"{result.duplicates} already stored, {result.bad_lines} unreadable lines moved to "
        f"{pipeline.dead_letter.bad_path}"
    )
