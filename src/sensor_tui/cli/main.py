"""The command line: `run` (the default), `import`, `stats`, `recover`, `export`, `alarms`,
`baseline`.

A thin edge: each command parses options, builds the core objects and prints. Heavy imports
(Textual, the importer) happen inside the command that needs them, so `stats` and `import` start
fast and never load the UI.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sensor_tui import __version__
from sensor_tui.cli.errors import BadInput, SensorTuiGroup
from sensor_tui.cli.errors import fail as _fail
from sensor_tui.cli.logsetup import LEVELS, setup_logging
from sensor_tui.cli.start import instance_lock as _instance_lock
from sensor_tui.cli.start import simulate as _simulate
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.tags import Config, ConfigError, load_config

if TYPE_CHECKING:
    from sensor_tui.storage import Reader

DEFAULT_DB = "sensor_data.db"


def _config(path: str | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise BadInput(str(exc)) from exc


def _dead_letter_path(db: str, dead_letter: str | None) -> Path:
    from sensor_tui.pipeline.deadletter import default_path

    return Path(dead_letter) if dead_letter else default_path(db)


@click.group(cls=SensorTuiGroup, default="run", default_if_no_args=True)
@click.version_option(__version__, prog_name="sensor-tui")
def cli() -> None:
    """sensor-tui: a terminal monitor for industrial process sensors.

    With no command it opens the monitor (`run`) with the built-in simulator.
    """


db_option = click.option(
    "--db",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database file.",
)
config_option = click.option(
    "--config", type=click.Path(dir_okay=False), help="TOML file that adds or replaces tags."
)
dead_letter_option = click.option(
    "--dead-letter",
    type=click.Path(dir_okay=False),
    help="JSONL dead-letter file [default: failed_measurements.jsonl beside the database].",
)


@cli.command()
@db_option
@dead_letter_option
@config_option
@click.option(
    "--interval",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Simulator period in seconds.",
)
@click.option(
    "--sim/--no-sim",
    "sim",
    default=None,
    help="Run the simulator, or not (readings only from HTTP and sources). Default: on, except "
    "on a database that holds readings none of which came from the simulator (an import).",
)
@click.option("--seed", type=int, help="Seed for a reproducible simulator.")
@click.option("--http", "http", metavar="[HOST:]PORT", help="Start the HTTP endpoint.")
@click.option(
    "--token",
    envvar="SENSOR_TUI_TOKEN",
    help="Require 'Authorization: Bearer TOKEN' on HTTP. Prefer env SENSOR_TUI_TOKEN or "
    "--token-file: a command line is visible in ps.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="Read the HTTP token from this file (first line, whitespace stripped).",
)
@click.option(
    "--mqtt",
    "mqtt",
    multiple=True,
    metavar="URL",
    help="Subscribe to mqtt[s]://[user@]host[:port]/topic/filter (repeatable); the password "
    "comes from env SENSOR_TUI_MQTT_PASSWORD.",
)
@click.option("--mqtt-ca", type=click.Path(dir_okay=False), help="CA file for mqtts:// URLs.")
@click.option(
    "--forward",
    metavar="URL",
    help="Copy what is stored to the PostgreSQL historian at postgresql://... (or [forward] url).",
)
@click.option("--site", help="This monitor's site name in the historian [default: config, host].")
@click.option("--headless", is_flag=True, help="No UI: one log line per batch on stdout.")
@click.option("--duration", type=click.FloatRange(min=0), help="Stop after this many seconds.")
@click.option(
    "--log-file", type=click.Path(dir_okay=False), help="Where logs go (rotated at 5 MB)."
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="INFO",
    show_default=True,
    help="sensor-tui's own log level; libraries (asyncua, paho) log warnings only.",
)
def run(**opts: Any) -> None:
    """Run the monitor (the default command)."""
    from sensor_tui.cli.token import resolve_token
    from sensor_tui.runtime.monitor import Monitor, MonitorOptions

    token = resolve_token(click.get_current_context(), opts["token"], opts["token_file"])
    if _is_historian(opts["db"]):
        _view_historian(opts, token)
        return
    config = _config(opts["config"])
    if opts["site"]:
        config = _with_site(config, opts["site"])
    forward = opts["forward"] or config.forward
    if forward:
        _check_historian(forward)
    setup_logging(opts["log_file"], opts["headless"], opts["log_level"])
    lock = _instance_lock(opts["db"])  # first: a second monitor stops before deciding anything
    options = MonitorOptions(
        db_path=Path(opts["db"]),
        dead_letter_path=_dead_letter_path(opts["db"], opts["dead_letter"]),
        interval=opts["interval"],
        simulate=_simulate(opts["sim"], opts["db"]),
        seed=opts["seed"],
        http=opts["http"],
        token=token,
        sources=_sources(config, opts, opts["config"]),
        forward=forward,
    )
    try:
        monitor = Monitor(config, options)
        if opts["headless"]:
            from sensor_tui.cli.headless import run_headless

            sys.exit(run_headless(monitor, opts["duration"]))
        _run_ui(monitor, opts["duration"])
    except (SensorTuiError, OSError) as exc:  # anything else is a bug: show its traceback
        _fail(str(exc))
    finally:
        lock.release()


def _is_historian(db: str) -> bool:
    from sensor_tui.storage.readers import is_historian

    return is_historian(db)


def _view_historian(opts: dict[str, Any], token: str | None) -> None:
    """`run --db postgresql://...`: no pipeline, no simulator; the historian's GET routes."""
    from sensor_tui.http.historian_app import serve

    _check_historian(opts["db"])
    if opts["forward"]:
        raise click.BadParameter("a historian does not forward", param_hint="--forward")
    if not opts["headless"]:  # the terminal monitor, read-only, one site at a time (key S)
        _view_historian_ui(opts)
        return
    if not opts["http"]:
        _fail("a headless view of a historian serves its GET routes: add --http [HOST:]PORT")
    setup_logging(opts["log_file"], True, opts["log_level"])
    try:
        sys.exit(serve(opts["db"], opts["http"], token, opts["duration"]))
    except (SensorTuiError, OSError) as exc:
        _fail(str(exc))


def _view_historian_ui(opts: dict[str, Any]) -> None:
    from sensor_tui.runtime.historian_view import HistorianView
    from sensor_tui.tui.historian_mode import run_historian_view

    setup_logging(opts["log_file"], False, opts["log_level"])
    try:
        view = HistorianView(opts["db"], opts["site"])
        sys.exit(run_historian_view(view, opts["duration"]))
    except (SensorTuiError, OSError) as exc:
        _fail(str(exc))


def _with_site(config: Config, site: str) -> Config:
    from dataclasses import replace

    if not site.strip() or "/" in site:
        raise click.BadParameter("a site is a non-empty name without '/'", param_hint="--site")
    return replace(config, site=site.strip())


def _check_historian(url: str) -> None:
    """A postgresql:// URL and the driver to use it, or a clear error naming the extra."""
    from sensor_tui.storage.historian import MISSING_DRIVER, is_historian_url

    if not is_historian_url(url):
        raise click.BadParameter(f"not a postgresql:// URL: {url!r}", param_hint="--forward")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _fail(MISSING_DRIVER)


def _sources(config: Config, opts: dict[str, Any], path: str | None) -> tuple[Any, ...]:
    """The file's `[[sources]]` and the `--mqtt` URLs, checked: named files exist, relative
    ones relative to the config file; an OPC UA server that is up offers the security mode."""
    urls = opts["mqtt"]
    if not config.sources and not urls:
        return ()
    from sensor_tui.sources.config import parse_sources
    from sensor_tui.sources.preflight import check_security_modes

    try:
        db = os.path.abspath(opts["db"])
        found = tuple(parse_sources(config.sources, urls, db, opts["mqtt_ca"], path))
        check_security_modes(found, path)
    except (ConfigError, SensorTuiError) as exc:  # SensorTuiError: a missing extra
        raise BadInput(str(exc)) from exc
    return found


def _run_ui(monitor: Any, duration: float | None) -> None:
    from sensor_tui.tui.app import make_app  # here, so headless runs never load Textual

    app = make_app(monitor, duration=duration)
    app.run()
    if app.return_code:  # Textual returns normally after printing a crash's traceback
        sys.exit(app.return_code)


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
@config_option
@click.option("--tag", help="Tag for every row, when the CSV has only timestamp,value.")
def import_command(file: str, db: str, config: str | None, tag: str | None) -> None:
    """Send a CSV (timestamp,tag,value) through the pipeline: validate, detect, store."""
    from sensor_tui.pipeline import Pipeline
    from sensor_tui.sources.csv_import import import_csv

    cfg = _config(config)
    if tag is not None and cfg.tag(tag) is None:
        _fail(f"--tag {tag!r} is not a configured tag (known: {', '.join(cfg.tag_names)})")
    if not os.path.isfile(file):
        _fail(f"cannot read {file}: no such file")
    pipeline = Pipeline(cfg, db, _dead_letter_path(db, None))
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


@cli.command()
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
    letters = DeadLetter(_dead_letter_path(db, dead_letter))
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


def _recorded_config(db: str) -> Config:
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


@cli.command()
@db_option
@dead_letter_option
@config_option
def recover(db: str, dead_letter: str | None, config: str | None) -> None:
    """Replay the dead-letter file into the database now (idempotent)."""
    from sensor_tui.pipeline import Pipeline

    folder = os.path.dirname(os.path.abspath(db))
    if not os.path.isdir(folder):
        _fail(f"no folder {folder} for the database {db}")
    cfg = _config(config) if config else _recorded_config(db)
    lock = _instance_lock(db)  # a running monitor replays this file itself
    pipeline = Pipeline(cfg, db, _dead_letter_path(db, dead_letter))
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


def _add_commands() -> None:
    from sensor_tui.cli.alarms import alarms
    from sensor_tui.cli.export import export_command
    from sensor_tui.cli.historian import historian
    from sensor_tui.cli.opcua import opcua
    from sensor_tui.cli.units import baseline

    cli.add_command(alarms)
    cli.add_command(export_command)
    cli.add_command(historian)
    cli.add_command(opcua)
    cli.add_command(baseline)


_add_commands()


def main() -> None:
    """Console-script entry point."""
    cli()
