"""Reading the headless console: every line is `<UTC time> <message>`."""

from __future__ import annotations

import re

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (.*)$")


def message(line: str) -> str:
    """The line without its timestamp (a line without one is returned as it is)."""
    found = LINE.match(line)
    return found.group(2) if found else line


def ingested(line: str) -> int:
    """Readings of a `✓ Ingested N measurements ...` line, else 0."""
    text = message(line)
    return int(text.split()[2]) if text.startswith("✓ Ingested ") else 0
