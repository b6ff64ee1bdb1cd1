"""CSV import through the same pipeline as live readings (validate, detect, store).

The main thread parses and validates while the writer thread detects and commits the previous
chunk, so on two cores the two halves overlap. A file that cannot be read at all raises
`ImportFileError` (one line for the user); a bad row is rejected and counted, never fatal.

The delimiter is taken from the header: the first of comma, semicolon, tab and pipe
that splits it into the needed columns. A spreadsheet saved in a European locale writes
semicolons and decimal commas (`36,5`); in a semicolon file a decimal comma is read as a point.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import itertools
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sensor_tui.model.errors import SensorTuiError
from sensor_tui.model.readings import Reading, Rejected
from sensor_tui.pipeline import BatchResult, Pipeline
from sensor_tui.sources.already_stored import AlreadyStored

CHUNK = 5_000
MISSING_COLUMN = "missing column"
UNPARSEABLE_LINE = "unparseable CSV line"
MAX_LINE = 64 * 1024
"""Characters a line may hold: a reading is tens of them, and an unbounded line (a binary file,
a missing newline) would be read whole into memory."""
LINE_TOO_LONG = f"line longer than {MAX_LINE // 1024} KiB"
DELIMITERS = (",", ";", "\t", "|")
"""Tried in this order on the header row."""
SHOWN_REJECTIONS = 5
"""Rejected lines listed one by one in the summary (the rest are counted)."""


class ImportFileError(SensorTuiError):
    """The file as a whole cannot be imported (missing, unreadable, no usable header)."""


@dataclass(slots=True)
class ImportSummary:
    """What an import did, for the closing summary."""

    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    anomalies: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    first_rejections: list[tuple[int, str]] = field(default_factory=list)
    """(line, reason with the offending value) of the first SHOWN_REJECTIONS rejected lines."""
    delimiter: str = ","

    @property
    def rejected_total(self) -> int:
        """Rows rejected, all reasons together."""
        return sum(self.rejected.values())

    @property
    def nothing_imported(self) -> bool:
        """Every row was rejected: the file is likely not what it was taken for."""
        return self.rows > 0 and self.rejected_total == self.rows


def _missing(header: list[str], tag: str | None) -> list[str]:
    names = [name.strip().lower() for name in header]
    missing = [c for c in ("timestamp", "value") if c not in names]
    if tag is None and "tag" not in names:
        missing.append("tag (or give --tag)")
    return missing


def _columns(header: list[str], tag: str | None) -> tuple[int, int, int | None]:
    missing = _missing(header, tag)
    if missing:
        raise ImportFileError(f"CSV header lacks column(s): {', '.join(missing)}")
    names = [name.strip().lower() for name in header]
    tag_index = names.index("tag") if tag is None else None
    return names.index("timestamp"), names.index("value"), tag_index


def sniff_delimiter(header_line: str, tag: str | None) -> str:
    """The delimiter that splits the header into the needed columns (comma when none does,
    so that the error names the missing columns as a comma file has them)."""
    for delimiter in DELIMITERS:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        if not _missing(fields, tag):
            return delimiter
    return ","


def _cut(line: str) -> bool:
    """True when readline stopped at the length bound, not at the end of the line."""
    return len(line) > MAX_LINE and not line.endswith(("\n", "\r"))


def _bounded_lines(handle: io.TextIOBase, too_long: set[int]) -> Iterator[str]:
    """The lines after the header, none longer than MAX_LINE: an over-long line is skipped to
    its end and stands as a blank line, its number (as csv counts them) put in `too_long`."""
    number = 1
    while line := handle.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE and _cut(line):  # the length first: no call for most lines
            while line and not line.endswith(("\n", "\r")):
                line = handle.readline(MAX_LINE)
            too_long.add(number)
            line = "\n"
        yield line


def _reader(
    handle: io.TextIOBase, tag: str | None, summary: ImportSummary, too_long: set[int]
) -> tuple[Any, list[str]]:
    """A csv reader over the file's bounded lines, its delimiter sniffed from the header (put
    in `summary`), and the header; ImportFileError when there is no usable header."""
    first = handle.readline(MAX_LINE + 1)
    if not first:
        raise ImportFileError("the file is empty (a header row is needed)")
    if _cut(first):
        raise ImportFileError(f"the header row is longer than {MAX_LINE // 1024} KiB")
    try:
        summary.delimiter = sniff_delimiter(first, tag)
    except csv.Error as exc:
        raise ImportFileError(f"cannot parse the CSV header: {exc}") from exc
    lines = itertools.chain([first], _bounded_lines(handle, too_long))
    reader = csv.reader(lines, delimiter=summary.delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ImportFileError(f"cannot parse CSV: {exc}") from exc
    return reader, header


def _chunks(
    handle: io.TextIOBase, pipeline: Pipeline, tag: str | None, summary: ImportSummary
) -> Iterator[tuple[list[Reading], list[tuple[int, str]], int]]:
    """Yield (readings, rejections by line number, rows) per chunk of the file.

    The inner loop is the import's hot path, hence its shape: no per-row helper calls, and the
    one `try` catches both a rejected reading and a short row.
    """
    too_long: set[int] = set()
    reader, header = _reader(handle, tag, summary, too_long)
    ts_i, value_i, tag_i = _columns(header, tag)
    decimal_comma = summary.delimiter == ";"
    validate = pipeline.validator.validate
    shown = summary.first_rejections
    readings: list[Reading] = []
    rejected: list[tuple[int, str]] = []
    left = CHUNK
    while True:
        try:
            for row in reader:
                if not row:
                    if reader.line_num not in too_long:
                        continue  # a blank line holds no reading
                    rejected.append((reader.line_num, LINE_TOO_LONG))
                    if len(shown) < SHOWN_REJECTIONS:
                        shown.append((reader.line_num, LINE_TOO_LONG))
                else:
                    try:
                        row_tag = tag if tag_i is None else row[tag_i]
                        value = row[value_i].replace(",", ".") if decimal_comma else row[value_i]
                        readings.append(validate(row_tag, value, row[ts_i], "import"))
                    except Rejected as exc:
                        rejected.append((reader.line_num, exc.reason))
                        if len(shown) < SHOWN_REJECTIONS:
                            shown.append((reader.line_num, str(exc)))
                    except IndexError:
                        rejected.append((reader.line_num, MISSING_COLUMN))
                        if len(shown) < SHOWN_REJECTIONS:
                            shown.append((reader.line_num, MISSING_COLUMN))
                left -= 1
                if not left:
                    yield readings, rejected, CHUNK
                    readings, rejected, left = [], [], CHUNK
            break
        except csv.Error:
            rejected.append((reader.line_num, UNPARSEABLE_LINE))
            if len(shown) < SHOWN_REJECTIONS:
                shown.append((reader.line_num, UNPARSEABLE_LINE))
            left -= 1
    if left < CHUNK:
        yield readings, rejected, CHUNK - left


def import_csv(
    pipeline: Pipeline,
    path: str | Path,
    tag: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Send every row of the CSV through the pipeline and wait until all are stored.

    `progress` is called with the number of bytes read so far after each chunk.
    """
    summary = ImportSummary()
    before = pipeline.snapshot()
    futures: list[Future[BatchResult]] = []
    try:
        raw = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
    stored = AlreadyStored(pipeline.db_path, pipeline.counters)
    with handle, _bulk_load_mode(), contextlib.closing(stored):
        for readings, rejected, rows in _chunks(handle, pipeline, tag, summary):
            summary.rows += rows
            fresh = stored.fresh(readings)  # a replay must not reach the detectors
            futures.append(pipeline.submit_readings(fresh, rejected, offered=rows))
            if progress is not None:
                progress(raw.tell())
    for future in futures:
        _add(summary, future.result())
    # Group commit merges chunks into one transaction, so new-versus-duplicate is only known in
    # total: take it from the counters (an import runs alone in its process).
    after = pipeline.snapshot()
    summary.stored = after.stored - before.stored
    summary.duplicates = after.duplicates - before.duplicates
    return summary


@contextlib.contextmanager
def _bulk_load_mode() -> Iterator[None]:
    """Tune the interpreter for two busy threads, one parsing and one writing.

    - The cycle collector is paused: an import allocates a few objects per row and frees them a
      chunk later, none in cycles, and the collector would walk them every 700 allocations for
      nothing (about 10% of the import's time).
    - The GIL switch interval drops from 5 ms to 0.5 ms: the writer releases the GIL for every
      SQLite call and then waits for the parsing thread to give it back; at 5 ms a turn, those
      waits added up to a quarter of the import's time (benchmarks/ingest.py: 1.9 s -> 1.4 s).
    """
    was_enabled = gc.isenabled()
    interval = sys.getswitchinterval()
    gc.disable()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        if was_enabled:
            gc.enable()


def _add(summary: ImportSummary, result: BatchResult) -> None:
    summary.dead_lettered += result.dead_lettered
    summary.anomalies += result.anomalies
    summary.rejected.update(reason for _, reason in result.rejected)
