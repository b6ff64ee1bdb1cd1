"""CSV export of stored readings: the charts' `x` key and `sensor-tui export`.

Rows stream from SQLite straight into the CSV writer, so exporting months of readings costs a
cursor's worth of memory, not the whole span. The columns are those `sensor-tui import` reads
back (timestamp, tag, value) followed by the verdict and the source.
"""

from __future__ import annotations

import contextlib
import csv
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.stored_time import iso
from sensor_tui.storage.readers import open_reader

COLUMNS = ("timestamp", "tag", "value", "is_anomaly", "score", "kind", "source")
DATABASE_FILES = ("", "-wal", "-shm", "-journal")
"""The database and SQLite's files beside it: an export never replaces any of them."""


def export_csv(
    db_path: str | Path,
    out: TextIO,
    tags: Sequence[str] | None = None,
    since: float | None = None,
    until: float | None = None,
    site: str | None = None,
) -> int:
    """Write readings with since <= time < until (epoch seconds, None: unbounded) of `tags`
    (None or empty: all) to `out` as CSV with a header; returns the rows written.

    Raises StoreUnavailable when the database cannot be read.
    """
    reader = open_reader(db_path, site)  # a file, or the historian (of one site, or all)
    try:
        rows = reader.export(
            list(tags) if tags else None,
            None if since is None else iso(since),
            None if until is None else iso(until),
        )
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    finally:
        reader.close()


class ExportRefused(SensorTuiError):
    """The output file must not be written: it exists (without `force`) or it is the database."""


def export_file(
    db_path: str | Path,
    path: str | Path,
    tags: Sequence[str] | None = None,
    since: float | None = None,
    until: float | None = None,
    site: str | None = None,
    force: bool = False,
) -> int:
    """`export_csv` into a file, written whole then renamed into place (never half a file).

    Refuses (ExportRefused) to replace an existing file unless `force`, and ever to write onto
    the database or its -wal/-shm/-journal. The CSV is written to a fresh temporary file in the
    target's folder (created exclusively, never through a symlink someone left there) and removed
    if the export fails. A replaced file keeps its permission bits; a new one gets the umask's.
    """
    target = Path(path)
    _check_target(Path(db_path), target, force)
    mode = _mode_for(target)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            count = export_csv(db_path, handle, tags, since, until, site)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    return count


def _check_target(db: Path, target: Path, force: bool) -> None:
    database = {os.path.realpath(f"{db}{suffix}") for suffix in DATABASE_FILES}
    if os.path.realpath(target) in database or _same_file(db, target):
        raise ExportRefused(f"refusing to write the export onto the database itself: {target}")
    if os.path.lexists(target) and not force:
        raise ExportRefused(f"{target} exists; choose another file or give --force to replace it")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist: not the same file
        return False


def _mode_for(target: Path) -> int:
    """The permission bits of the file being replaced, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows (os.umask sets it, for
    a moment, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask
