"""The project's exception base: what the edges (CLI, app, HTTP) catch and report in one line.

Anything else escaping to an edge is a bug and should show its traceback, not hide behind an
exit code.
"""

from __future__ import annotations


class SensorTuiError(Exception):
    """An expected failure with a message meant for the user (bad file, unavailable database)."""
