"""The command line: `sensor-tui` and its commands, and the headless console.

The top of the stack: it may import every layer, and nothing imports it.
"""

from sensor_tui.cli.main import cli, main

__all__ = ["cli", "main"]
