"""What the closing summary says about the dead-letter file.

"159 dead-lettered" alone read as 159 readings lost or waiting, even when every one had been
replayed into the database before exit. The summary now says what is still in the file and the
command that stores it; the headless console and the monitor's exit message both use this.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from pathlib import Path

from sensor_tui.model.counters import SourceState


def recover_command(db: Path, dead_letter: Path) -> str:
    """The command that replays the dead-letter file now, ready to paste."""
    return (
        f"sensor-tui recover --db {shlex.quote(str(db))} "
        f"--dead-letter {shlex.quote(str(dead_letter))}"
    )


def dead_letter_lines(dead_lettered: int, pending: int, dead_letter: Path, db: Path) -> list[str]:
    """Lines for the stop summary: what waits in the dead-letter file and how to recover it.

    `dead_lettered` is how many readings went to the file during the run, `pending` how many
    lines are in it now. Nothing to say when both are 0.
    """
    if pending:
        return [
            f"{pending:,} readings wait in the dead-letter file {dead_letter}; store them with: "
            f"{recover_command(db, dead_letter)} (the next start also replays them)"
        ]
    if dead_lettered:
        return [
            f"The dead-letter file is empty: all {dead_lettered:,} dead-lettered readings were "
            "replayed into the database."
        ]
    return []


def source_lines(sources: Iterable[SourceState]) -> list[str]:
    """One line per network source that was not well at the end, with its short reason:
    `plc1 127.0.0.1:4840: auth refused`, so the exit tells who to call without the log."""
    return [
        f"Source {source.name}: {source.short_reason()}"
        + (f" ({source.error})" if source.error else "")
        for source in sources
        if source.reason
    ]
