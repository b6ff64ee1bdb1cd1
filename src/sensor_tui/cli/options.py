"""The options several commands share (`--db`, `--config`, `--dead-letter`) and what they turn
into.

Why a module: the default database name and the options' help were written once per command;
here they are written once, so `run`, `import`, `stats`, `recover`, `export`, `alarms` and
`baseline` agree on where the data is when no `--db` is given.
"""

from __future__ import annotations

from pathlib import Path

import click

from sensor_tui.cli.errors import BadInput
from sensor_tui.model.tags import Config, ConfigError, load_config

DEFAULT_DB = "sensor_data.db"
"""The database file every command uses when no `--db` is given, in the working directory."""

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


def config_from(path: str | None) -> Config:
    """The configuration in `path` (the built-ins when None); a bad file is bad input, exit 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        raise BadInput(str(exc)) from exc


def dead_letter_path(db: str, dead_letter: str | None) -> Path:
    """`--dead-letter`, or the file beside the database."""
    from sensor_tui.pipeline.deadletter import default_path

    return Path(dead_letter) if dead_letter else default_path(db)
