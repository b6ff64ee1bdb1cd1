"""Where the log goes and how much of it: ours at `--log-level`, libraries at WARNING, files
rotated.

At INFO, asyncua logs the whole PublishResult of every publish (about 530 bytes a data change:
190 MB a day for 4 tags at 1 Hz) and paho its packets; what an operator needs from them is a
warning or an error. So the root logger (every library) stays at WARNING whatever `--log-level`
says, and `--log-level` sets the `sensor_tui` loggers only. A `--log-file` is rotated at
`MAX_BYTES` with `BACKUPS` old files kept, so a monitor that runs for months cannot fill a disk
with its log.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_BYTES = 5_000_000
"""A log file is rotated at this size..."""
BACKUPS = 3
"""...and this many rotated files are kept (`monitor.log.1` ... `.3`): 20 MB at most."""
LIBRARIES = ("asyncua", "paho", "aiosqlite")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_file: str | None, headless: bool, level: str = "INFO") -> None:
    """Send the log to a rotated file, to stderr (headless), or nowhere (the UI owns the
    terminal); ours at `level`, every library at WARNING."""
    handler: logging.Handler
    if log_file:
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    elif headless:
        handler = logging.StreamHandler(sys.stderr)
    else:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("sensor_tui").setLevel(level.upper())
    for name in LIBRARIES:  # in case a library set its own level lower on import
        logging.getLogger(name).setLevel(logging.WARNING)
