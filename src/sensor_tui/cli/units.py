"""`sensor-tui baseline`: mark a stored period as a unit's normal behaviour.

    sensor-tui baseline --unit fermenter --since "2026-01-15 08:00" --until "2026-01-15 12:00"

Reads the unit's readings stored in [since, until), forms its observations as the live monitor
does, fits the unit's detector on them and stores the result as the unit's reference. The monitor
loads it at its next start (in a running monitor, the key `M` does the same for the span in view).
"""

from __future__ import annotations

import os
import sys
import time

import click

from sensor_tui.cli.options import DEFAULT_DB
from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.tags import ConfigError, load_config


def _fail(message: str) -> None:
    click.echo(f"sensor-tui: {message}", err=True)
    sys.exit(2)


@click.command()
@click.option("--unit", "unit_name", required=True, help="The unit's name ([[units]] name).")
@click.option("--since", required=True, help="Start (UTC): 2026-01-15, '2026-01-15 08:00', -2h.")
@click.option("--until", required=True, help="End (excluded), same forms.")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False))
@click.option("--config", type=click.Path(dir_okay=False), help="TOML file with the [[units]].")
def baseline(unit_name: str, since: str, until: str, db: str, config: str | None) -> None:
    """Learn a unit's reference from a period known to be normal, and store it."""
    from sensor_tui.model.stored_time import iso
    from sensor_tui.model.when import BadMoment, parse_when
    from sensor_tui.pipeline.units import learn, make_detector, observations
    from sensor_tui.storage import Store

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    unit = cfg.unit(unit_name)
    if unit is None:
        known = ", ".join(u.name for u in cfg.units) or "none configured"
        _fail(f"no unit {unit_name!r} (units: {known})")
        return
    now = time.time()
    try:
        start, end = iso(parse_when(since, now)), iso(parse_when(until, now))
    except BadMoment as exc:
        raise click.BadParameter(str(exc)) from exc
    if start >= end:
        raise click.BadParameter("--since must come before --until")
    if not os.path.isfile(db):
        _fail(f"no database at {db}")
    store = Store(db, cfg)
    try:
        stamps, rows = observations(unit.tags, store.unit_readings(unit.tags, start, end))
        reference = learn(unit, make_detector(unit), rows, start, end, "operator")
        store.save_unit_reference(reference)
    except (SensorTuiError, ValueError, OSError) as exc:
        _fail(str(exc))
    finally:
        store.close()
    click.echo(
        f"Unit {unit.name}: reference learned from {len(rows)} observations "
        f"({stamps[0][:19]} to {stamps[-1][:19]} UTC) and stored in {db}; "
        "a running monitor uses it from its next start."
    )
