"""How the command line fails: one form for every command.

`sensor-tui: <message>` on stderr, one line; exit 2 for usage errors and bad input (a file, an
option value, a tag, a configuration the user named), exit 1 for runtime failures (a database
that cannot be read, another monitor holding the database, a write that failed).
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
from click_default_group import DefaultGroup


class BadInput(click.ClickException):
    """Bad input named by the user: exit 2, like a usage error."""

    exit_code = 2


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop with `sensor-tui: message`: exit 2 for bad input (the default), 1 for a runtime
    failure."""
    click.echo(f"sensor-tui: {message}", err=True)
    sys.exit(code)


class SensorTuiGroup(DefaultGroup):
    """Every command's errors in one form: `sensor-tui: <message>` on stderr, one line, exit 2
    for usage and bad input, 1 for runtime failures (click's own form, "Error: ..." after a
    usage block, is replaced: scripts and people read one form)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; errors as the class docstring says."""
        if not kwargs.pop("standalone_mode", True):
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            click.echo(f"sensor-tui: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("sensor-tui: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
