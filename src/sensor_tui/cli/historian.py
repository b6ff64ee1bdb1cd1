"""`sensor-tui historian ...`: the central historian's upkeep (`migrate`, `prune`, `status`).

The forwarders migrate the historian themselves; these commands are for the person who runs
the PostgreSQL server: bring the schema up to date ahead of the edges, drop old partitions.
"""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from typing import Any

import click

UNITS = {"d": 1, "w": 7, "y": 365}


def require_driver() -> None:
    """Exit with a message naming the extra when psycopg is missing."""
    from sensor_tui.storage.historian import MISSING_DRIVER

    try:
        import psycopg  # noqa: F401
    except ImportError:
        click.echo(f"sensor-tui: {MISSING_DRIVER}", err=True)
        sys.exit(2)


def parse_keep(text: str) -> timedelta:
    """`365d`, `52w`, `2y` -> a duration (whole days: partitions are days)."""
    match = re.fullmatch(r"\s*(\d+)\s*([dwy])\s*", text)
    if not match or int(match.group(1)) < 1:
        raise click.BadParameter(f"{text!r}: say how long to keep, e.g. 365d, 52w or 2y")
    return timedelta(days=int(match.group(1)) * UNITS[match.group(2)])


def _connect(url: str) -> Any:
    from sensor_tui.storage.historian import HistorianUnavailable, connect, is_historian_url

    if not is_historian_url(url):
        raise click.BadParameter(f"not a postgresql:// URL: {url!r}", param_hint="--db")
    require_driver()
    try:
        return connect(url)
    except HistorianUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


url_option = click.option(
    "--db", "url", required=True, metavar="URL", help="The historian: postgresql://..."
)


@click.group()
def historian() -> None:
    """The central PostgreSQL historian: migrate, prune, status."""


@historian.command()
@url_option
def migrate(url: str) -> None:
    """Bring the historian's schema up to date and create the coming days' partitions."""
    from sensor_tui.storage.historian import schema

    with _connect(url) as conn:
        steps = schema.migrate(conn)
    click.echo(f"historian schema version {schema.SCHEMA_VERSION} (applied: {steps or 'none'})")


@historian.command()
@url_option
@click.option("--keep", required=True, help="How much to keep: 365d, 52w, 2y.")
def prune(url: str, keep: str) -> None:
    """Drop the day partitions of readings older than --keep (and the minute rollups)."""
    from sensor_tui.storage.historian import schema

    duration = parse_keep(keep)
    with _connect(url) as conn:
        schema.migrate(conn)
        dropped = schema.prune(conn, duration)
    click.echo(f"dropped {len(dropped)} partitions older than {duration.days} days")
    for name in dropped:
        click.echo(f"  {name}")


@historian.command()
@url_option
def status(url: str) -> None:
    """Per site: readings, first and last timestamp (from the hour rollups: instant)."""
    with _connect(url) as conn:
        from sensor_tui.storage.historian.counts import site_summary

        for site, count, first, last in site_summary(conn):
            click.echo(f"{site}: {count:,} readings, {first} .. {last}")
