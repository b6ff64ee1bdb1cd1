"""sensor-tui: a terminal monitor for industrial process sensors."""

__version__ = "0.1.0"
