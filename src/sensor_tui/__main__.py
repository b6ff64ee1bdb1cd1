"""`python -m sensor_tui` runs the command line."""

from sensor_tui.cli import main

main()
