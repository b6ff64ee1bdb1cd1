"""Where the HTTP token comes from: SENSOR_TUI_TOKEN, `--token-file`, or (warned) `--token`.

A token on the command line is visible to every user of the machine in `ps` and lands in shell
history, so `--token` still works (scripts use it) but says so on stderr. A token that is empty
or only whitespace is refused: it would "protect" the endpoint with a secret anyone can guess.
"""

from __future__ import annotations

import click
from click.core import ParameterSource

PS_WARNING = (
    "sensor-tui: warning: --token is visible to every user in `ps` and in shell history; "
    "prefer SENSOR_TUI_TOKEN or --token-file"
)


class TokenError(click.UsageError):
    """The token options are wrong (both given, an unreadable or blank file, a blank token)."""


def resolve_token(ctx: click.Context, token: str | None, token_file: str | None) -> str | None:
    """The token to require on HTTP, or None; TokenError when the options are wrong."""
    if token_file is not None:
        if ctx.get_parameter_source("token") == ParameterSource.COMMANDLINE:
            raise TokenError("give --token or --token-file, not both")
        try:
            with open(token_file, encoding="utf-8") as handle:
                token = handle.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenError(f"cannot read --token-file {token_file}: {exc}") from exc
        if not token:
            raise TokenError(f"--token-file {token_file} is empty")
        return token
    if token is None:
        return None
    if ctx.get_parameter_source("token") == ParameterSource.COMMANDLINE:
        click.echo(PS_WARNING, err=True)
    if not token.strip():
        raise TokenError("the token is empty or only whitespace; choose a real secret")
    return token
