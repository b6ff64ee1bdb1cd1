"""The command line: `run` (the default), `import`, `stats`, `recover`, `export`, `alarms`,
`baseline`, `historian`, `opcua`.

A thin edge: each command lives in its own module, parses options, builds the core objects and
prints; this module only makes the group and adds them. Heavy imports (Textual, the importer)
happen inside the command that needs them, so `stats` and `import` start fast and never load
the UI.
"""

from __future__ import annotations

import click

from sensor_tui import __version__
from sensor_tui.cli.errors import SensorTuiGroup

__all__ = ["cli", "main"]


@click.group(cls=SensorTuiGroup, default="run", default_if_no_args=True)
@click.version_option(__version__, prog_name="sensor-tui")
def cli() -> None:
    """sensor-tui: a terminal monitor for industrial process sensors.

    With no command it opens the monitor (`run`) with the built-in simulator.
    """


def _add_commands() -> None:
    from sensor_tui.cli.alarms import alarms
    from sensor_tui.cli.export import export_command
    from sensor_tui.cli.historian import historian
    from sensor_tui.cli.ingest import import_command, recover
    from sensor_tui.cli.opcua import opcua
    from sensor_tui.cli.run import run
    from sensor_tui.cli.stats import stats
    from sensor_tui.cli.units import baseline

    for command in (run, import_command, stats, recover, alarms, export_command, historian):
        cli.add_command(command)
    cli.add_command(opcua)
    cli.add_command(baseline)


_add_commands()


def main() -> None:
    """Console-script entry point."""
    cli()
