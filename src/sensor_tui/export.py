"""CSV export of stored readings: the charts' `x` key and `sensor-tui export`.

Rows stream from SQLite straight into the CSV writer, so exporting months of readings costs a
cursor's worth of memory, not the whole span. The columns are those `sensor-tui import` reads
back (timestamp, tag, value) followed by the verdict and the source.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sensor_tui.storage.readers import open_reader
from sensor_tui.when import iso

COLUMNS = ("timestamp", "tag", "value", "is_anomaly", "score", "kind", "source")


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


def export_file(
    db_path: str | Path,
    path: str | Path,
    tags: Sequence[str] | None = None,
    since: float | None = None,
    until: float | None = None,
    site: str | None = None,
) -> int:
    """`export_csv` into a file (written whole, then renamed into place: never half a file)."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        count = export_csv(db_path, handle, tags, since, until, site)
    partial.replace(target)
    return count
