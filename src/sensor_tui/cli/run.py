"""`sensor-tui run`, the default command: the monitor with its sources, or a historian's view.

Why a module: `run` has the most options and the most decisions before anything starts (a
historian URL or a file, which sources, which site, one monitor per database); they read best
on their own, apart from the small commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sensor_tui.cli.errors import BadInput
from sensor_tui.cli.errors import fail as _fail
from sensor_tui.cli.logsetup import LEVELS, setup_logging
from sensor_tui.cli.options import (
    config_from,
    config_option,
    db_option,
    dead_letter_option,
    dead_letter_path,
)
from sensor_tui.cli.start import instance_lock as _instance_lock
from sensor_tui.cli.start import simulate as _simulate
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.tags import Config, ConfigError

if TYPE_CHECKING:
    from sensor_tui.runtime.historian_view import HistorianView
    from sensor_tui.tui.timeline import Timeline


@click.command()
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
    config = config_from(opts["config"])
    if opts["site"]:
        config = _with_site(config, opts["site"])
    forward = opts["forward"] or config.forward
    if forward:
        _check_historian(forward)
    setup_logging(opts["log_file"], opts["headless"], opts["log_level"])
    lock = _instance_lock(opts["db"])  # first: a second monitor stops before deciding anything
    options = MonitorOptions(
        db_path=Path(opts["db"]),
        dead_letter_path=dead_letter_path(opts["db"], opts["dead_letter"]),
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
    """`run --db postgresql://...`: no pipeline, no simulator; the terminal monitor read-only,
    or headless, the historian's GET routes."""
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

    setup_logging(opts["log_file"], False, opts["log_level"])
    try:
        view = HistorianView(opts["db"], opts["site"])
        sys.exit(_run_historian_view(view, opts["duration"]))
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


def _run_historian_view(view: HistorianView, duration: float | None = None) -> int:
    """Run the monitor over the historian until it quits; a site chosen with `S` reopens it on
    that site, at the same window and moment. Returns the app's return code."""
    from sensor_tui.tui.app import make_app  # here, so headless runs never load Textual

    timeline: Timeline | None = None
    while True:
        app = make_app(view, duration=duration, timeline=timeline)
        app.run()
        choice = app.site_choice
        if choice is None:
            return app.return_code or 0
        view.switch_site(choice.site)
        timeline = choice.timeline
