"""`sensor-tui alarms` (the list) and `sensor-tui alarms report` (health KPIs and the grade).

Read-only: both open a local file or the historian with a `HistoryReader` and change nothing.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

from sensor_tui.alarming import states
from sensor_tui.alarming.priority import NAMES as PRIORITY_NAMES
from sensor_tui.alarming.unit_alarms import contributions_text
from sensor_tui.cli.options import DEFAULT_DB

if TYPE_CHECKING:
    from sensor_tui.model.alarm_record import AlarmRow
    from sensor_tui.storage.readers import HistoryReader

STATE_CHOICES = (*states.STATES, "open", "active", "all")


def _states(state: str) -> tuple[str, ...] | None:
    """A --state value to the states it means (None: all)."""
    return {
        "all": None,
        "open": states.OPEN_STATES,
        "active": states.ACTIVE_STATES,
    }.get(state, (state,))


def _reader(db: str, site: str | None = None) -> HistoryReader:
    from sensor_tui.storage.readers import is_historian, open_reader

    if is_historian(db):
        from sensor_tui.cli.historian import require_driver

        require_driver()
    elif not os.path.isfile(db):
        click.echo(f"sensor-tui: no database at {db}", err=True)
        sys.exit(2)
    return open_reader(db, site)


@click.group(invoke_without_command=True)
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False))
@click.option("--state", type=click.Choice(STATE_CHOICES), default="all", show_default=True)
@click.option("--tag", help="Only this tag's alarms.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--site", help="Against a historian: only this site [default: all, as site/tag].")
@click.pass_context
def alarms(
    ctx: click.Context,
    db: str,
    state: str,
    tag: str | None,
    limit: int,
    as_json: bool,
    site: str | None,
) -> None:
    """Alarms, newest first: state, priority, tag, kind, start, end, peak, and for a unit's
    alarm the tags that moved it (see also `report`)."""
    ctx.ensure_object(dict).update(db=db, site=site)
    if ctx.invoked_subcommand is not None:
        return
    from sensor_tui.storage import StoreUnavailable

    reader = _reader(db, site)
    try:
        rows = reader.list_alarms(_states(state), tag, limit)
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        reader.close()
    if as_json:
        click.echo(json.dumps({"count": len(rows), "alarms": rows}, indent=2))
    else:
        _print_alarms(rows)


def _print_alarms(rows: list[AlarmRow]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} alarms, newest first (UTC)", box=box.SIMPLE_HEAD)
    columns = ("state", "prio", "tag", "kind", "start", "end", "readings", "peak", "origin")
    for column in columns:
        table.add_column(column, no_wrap=True)
    table.add_column("contributions")
    for row in rows:
        peak = row["peak_value"]
        table.add_row(
            states.LABELS.get(row["state"], row["state"]),
            PRIORITY_NAMES.get(row["priority"], str(row["priority"])),
            row["tag"],
            row["kind"],
            f"{row['start'][:10]} {row['start'][11:19]}",
            row["end"][11:19],
            str(row["readings"]),
            "" if peak is None else f"{peak:.4g}",
            row["origin"] or row["source"] or "",
            contributions_text(row.get("contributions")),
        )
    console = Console()
    if not console.is_terminal:
        console.width = 140
    console.print(table)


@alarms.command()
@click.option("--db", type=click.Path(dir_okay=False), help="SQLite file or postgresql:// URL.")
@click.option("--since", help="Only alarms and faults from this time on (ISO-8601).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--site", help="Against a historian: only this site [default: all sites].")
@click.pass_context
def report(
    ctx: click.Context, db: str | None, since: str | None, as_json: bool, site: str | None
) -> None:
    """Alarm health (EEMUA 191 / ISA-18.2 KPIs) and the detector's grade against injected faults."""
    from sensor_tui.alarming.report import build_report, report_dict, report_lines
    from sensor_tui.model.readings import Rejected, normalize_ts
    from sensor_tui.storage import StoreUnavailable

    path = db or ctx.obj["db"]
    try:
        start = normalize_ts(since) if since else None
    except Rejected as exc:
        raise click.BadParameter(f"not a time: {since!r}", param_hint="--since") from exc
    reader = _reader(path, site or ctx.obj.get("site"))
    try:
        kpis, grading = build_report(*reader.report_inputs(start), start)
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        reader.close()
    if as_json:
        click.echo(json.dumps(report_dict(kpis, grading), indent=2))
        return
    for line in report_lines(kpis, grading):
        click.echo(line)
