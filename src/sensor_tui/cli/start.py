"""What `sensor-tui run` (and `recover`) settle before a monitor starts: whether the simulator
runs, and the database's instance lock."""

from __future__ import annotations

import os
from typing import Any

import click

from sensor_tui.cli.errors import fail


def simulate(asked: bool | None, db: str) -> bool:
    """--sim / --no-sim when given; else on, unless the database holds only outside readings."""
    if asked is not None:
        return asked
    from sensor_tui.storage import Reader, StoreUnavailable
    from sensor_tui.storage.provenance import holds_only_outside_readings

    if not os.path.isfile(db):
        return True
    reader = Reader(db)
    try:
        outside = holds_only_outside_readings(reader)
    except StoreUnavailable:
        return True  # the monitor itself reports the unreadable file
    finally:
        reader.close()
    if outside:
        click.echo(
            f"sensor-tui: {db} holds no simulator readings: the simulator stays off "
            "(--sim starts it)",
            err=True,
        )
    return not outside


def instance_lock(db: str) -> Any:
    """The database's instance lock (see `instance_lock`); a second monitor exits 1."""
    from sensor_tui.runtime.instance_lock import InstanceLocked, acquire

    try:
        return acquire(db)
    except InstanceLocked as exc:
        fail(str(exc), 1)
    except OSError as exc:
        fail(f"cannot open the database's lock file: {exc}")
