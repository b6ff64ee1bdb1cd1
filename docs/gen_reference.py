"""Regenerate the reference pages that come from the code: the commands and the keys.

    python docs/gen_reference.py

The command reference is read from click's own description of every command and option, and
the key table from `sensor_tui.tui.keys`, so the documentation cannot drift from the program:
`tests/docs/test_reference.py` fails when a page differs from what this script would write.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import click

from sensor_tui.cli import cli
from sensor_tui.tui import keys

REFERENCE = Path(__file__).resolve().parent / "reference"
CLI_PAGE = REFERENCE / "cli.md"
KEYS_PAGE = REFERENCE / "keys.md"

CLI_INTRO = """# Commands

Generated from the program's own help by `python docs/gen_reference.py`; a test fails when a
command or option is missing here. `sensor-tui COMMAND --help` prints the same.
"""

KEYS_INTRO = """# Keys

Generated from `src/sensor_tui/tui/keys.py`, the one key table that the bindings, the help
screen (`?`) and the command palette (`ctrl+p`) come from (`python -m sensor_tui.tui.keys`
prints it; a test checks this page matches).

"""


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every command below `command`, depth first, with its full name."""
    name = " ".join(("sensor-tui", *path))
    yield name, command
    if isinstance(command, click.Group):
        for sub in sorted(command.commands):
            yield from walk(command.commands[sub], (*path, sub))


def _option_row(param: click.Parameter, ctx: click.Context) -> str:
    record = param.get_help_record(ctx)
    if record is None:
        return ""
    names, text = record
    text = " ".join(text.split()).replace("|", "\\|")
    return f"| `{names}` | {text} |"


def command_section(name: str, command: click.Command) -> str:
    """One command: its usage, its help and a table of its options."""
    ctx = click.Context(command, info_name=name)
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines = [f"## `{name}`", "", "```", f"{name} {usage}".rstrip(), "```", ""]
    if command.help:
        lines += [inspect.cleandoc(click.unstyle(command.help)), ""]
    rows = [_option_row(p, ctx) for p in command.get_params(ctx) if isinstance(p, click.Option)]
    rows = [row for row in rows if row]
    if rows:
        lines += ["| option | meaning |", "| --- | --- |", *rows, ""]
    return "\n".join(lines)


def cli_markdown() -> str:
    """The whole command reference page."""
    sections = [command_section(name, command) for name, command in walk(cli)]
    return CLI_INTRO + "\n" + "\n".join(sections)


def keys_markdown() -> str:
    """The whole key reference page."""
    return KEYS_INTRO + keys.markdown_table()


def main() -> None:
    """Write both pages."""
    REFERENCE.mkdir(exist_ok=True)
    CLI_PAGE.write_text(cli_markdown(), encoding="utf-8")
    KEYS_PAGE.write_text(keys_markdown(), encoding="utf-8")


if __name__ == "__main__":
    main()
