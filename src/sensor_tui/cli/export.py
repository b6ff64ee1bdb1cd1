"""`sensor-tui export`: stored readings to CSV, on stdout or into a file.

Bad input is refused before a byte is written, as HTTP answers 400: a tag the database does not
hold, a range whose end is not after its start, an output file that exists (without `--force`)
or that is the database itself.
"""

from __future__ import annotations

import os
import sys
import time

import click

from sensor_tui.cli.errors import BadInput
from sensor_tui.cli.errors import fail as _fail
from sensor_tui.cli.options import DEFAULT_DB


def _known_tags(db: str, site: str | None) -> set[str]:
    """The tags the database records (empty for a file older than the tags table); of a
    historian, the site's (or every site's, as site/tag)."""
    from sensor_tui.storage.readers import open_reader

    reader = open_reader(db, site)
    try:
        return {row["name"] for row in reader.tag_rows()}
    finally:
        reader.close()


def _check(
    db: str, tags: tuple[str, ...], start: float | None, end: float | None, site: str | None
) -> None:
    known = _known_tags(db, site) if tags else set()
    unknown = sorted(set(tags) - known) if known else []
    if unknown:
        raise BadInput(f"--tag {', '.join(unknown)}: no such tag in {db}")
    if start is not None and end is not None and end <= start:
        raise BadInput("--until must be after --since (the range is empty or reversed)")


def _check_database(db: str) -> None:
    """A local file that exists, or a historian URL with its driver installed."""
    from sensor_tui.storage.readers import is_historian

    if is_historian(db):
        from sensor_tui.cli.historian import require_driver

        require_driver()
    elif not os.path.isfile(db):
        _fail(f"no database at {db}")


@click.command("export")
@click.option(
    "--db",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database file, or a historian's postgresql:// URL.",
)
@click.option("--since", help="First moment (UTC): 2014-02-14, '2014-02-14 13:05', 13:05, -2h.")
@click.option("--until", help="End (excluded), same forms; default: no end.")
@click.option("--tag", "tags", multiple=True, help="Only this tag (repeat for several).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="CSV file [default: stdout].")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--site", help="Against a historian: only this site [default: all, as site/tag].")
def export_command(
    db: str,
    since: str | None,
    until: str | None,
    tags: tuple[str, ...],
    output: str | None,
    force: bool,
    site: str | None,
) -> None:
    """Write stored readings to CSV (timestamp,tag,value,...), streamed: any size fits."""
    from sensor_tui.model.when import BadMoment, parse_when
    from sensor_tui.storage import StoreUnavailable
    from sensor_tui.storage.export import ExportRefused, export_csv, export_file

    _check_database(db)
    now = time.time()
    try:
        start = parse_when(since, now) if since else None
        end = parse_when(until, now) if until else None
    except BadMoment as exc:
        raise BadInput(str(exc)) from exc
    try:
        _check(db, tags, start, end, site)
        if output:
            count = export_file(db, output, tags, start, end, site, force=force)
            click.echo(f"Exported {count:,} readings to {output}", err=True)
        else:
            export_csv(db, sys.stdout, tags, start, end, site)
    except BrokenPipeError:  # `export | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except ExportRefused as exc:
        _fail(str(exc))
    except (StoreUnavailable, OSError) as exc:
        _fail(str(exc), 1)
