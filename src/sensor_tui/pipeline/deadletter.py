"""The dead-letter file: JSONL of readings that could not be stored, fsynced before anyone is told.

A line is appended only as a whole (one `write` of complete lines, then `fsync`), so a crash can
at worst leave one truncated last line, which replay moves aside with the other unparseable ones.
Replay is idempotent because the insert ignores a (tag, timestamp) already stored; the file is
emptied only after the replayed rows are committed, so a crash mid-replay just replays again.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sensor_tui.model.readings import Reading, Rejected, Validator

DEFAULT_NAME = "failed_measurements.jsonl"


def default_path(db_path: str | Path) -> Path:
    """Where the dead-letter file goes unless told otherwise: beside the database."""
    return Path(db_path).with_name(DEFAULT_NAME)


@dataclass(slots=True)
class ReplayResult:
    """What one replay did: rows newly stored, rows already there, lines moved aside."""

    stored: int = 0
    duplicates: int = 0
    bad_lines: int = 0
    readings: list[Reading] = field(default_factory=list)


def _fsync_dir(path: Path) -> None:
    """Make a file's creation or rename durable (its directory entry)."""
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _append_durably(path: Path, text: str) -> None:
    """Append whole lines and fsync, or leave the file as it was and raise OSError.

    Two things would otherwise cost acknowledged readings: a previous crash or full
    disk can leave a last line without its newline, and the next record glued to it would be
    moved aside as unreadable; and a write that fails half-way (ENOSPC) leaves a partial line.
    So a missing newline is restored first, and a failed append is truncated away. Raw file
    descriptors, so no buffered leftovers are flushed after the truncation.
    """
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        data = text.encode("utf-8")
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        try:
            _write_all(fd, data)
            os.fsync(fd)
        except OSError:
            _truncate_quietly(fd, size)
            raise
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _truncate_quietly(fd: int, size: int) -> None:
    """Best effort: take a failed append back off the file (it was never acknowledged)."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass


class DeadLetter:
    """The JSONL dead-letter file beside the database, safe to use from several threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.bad_path = self.path.with_name(self.path.name + ".bad")
        self._lock = threading.Lock()
        self._pending: int | None = None
        self.error: str | None = None
        """Why the file cannot be read (then `pending()` is 0 but means "unknown", not "none")."""

    def append(self, readings: Sequence[Reading], error: str) -> None:
        """Append readings as lines and fsync; raises OSError if they are not durable."""
        if not readings:
            return
        failed_at = datetime.now(UTC).isoformat(timespec="seconds")
        lines = []
        for reading in readings:
            record = reading.as_dict()
            record["error"] = error
            record["failed_at"] = failed_at
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        with self._lock:
            _append_durably(self.path, "".join(lines))
            if self._pending is not None:
                self._pending += len(lines)

    def _count(self) -> int | None:
        """Lines in the file (0 when missing); None, with `error` set, when it cannot be read."""
        try:
            with open(self.path, "rb") as handle:
                count = sum(1 for line in handle if line.strip())
        except FileNotFoundError:
            count = 0
        except OSError as exc:  # unreadable: say so rather than show "0 pending"
            self.error = f"cannot read {self.path}: {exc.strerror or exc}"
            return None
        self.error = None
        return count

    def pending(self) -> int:
        """Lines waiting for replay (cached once counted); 0 when unreadable, see `error`."""
        with self._lock:
            if self._pending is None:
                self._pending = self._count()
            return self._pending or 0

    def bad_count(self) -> int:
        """Lines that were moved aside because they could not be parsed."""
        try:
            with open(self.bad_path, "rb") as handle:
                return sum(1 for line in handle if line.strip())
        except OSError:
            return 0

    def replay(self, validator: Validator, write: Callable[[list[tuple]], int]) -> ReplayResult:
        """Store every good line through `write` (one transaction), move bad lines aside.

        `write` raises when the database is unavailable; the file is then left as it was (minus
        the bad lines, already moved aside), ready for the next replay.
        """
        with self._lock:
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                self._pending = 0
                return ReplayResult()
            readings, bad = _parse_lines(raw, validator)
            if bad:
                _append_durably(self.bad_path, "".join(bad))
                self._rewrite([_line(r) for r in readings])
            result = ReplayResult(bad_lines=len(bad), readings=readings)
            if readings:
                result.stored = write([reading.as_row() for reading in readings])
                result.duplicates = len(readings) - result.stored
            self._rewrite([])
            return result

    def _rewrite(self, lines: list[str]) -> None:
        """Atomically replace the file's content (temp file, fsync, rename)."""
        if not lines:
            with open(self.path, "w", encoding="utf-8") as handle:
                handle.flush()
                os.fsync(handle.fileno())
            self._pending = 0
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("".join(lines))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path)
        self._pending = len(lines)


def _line(reading: Reading) -> str:
    return json.dumps(reading.as_dict(), ensure_ascii=False) + "\n"


def _parse_lines(raw: bytes, validator: Validator) -> tuple[list[Reading], list[str]]:
    """Split the file into replayable readings and the lines that must be moved aside."""
    readings: list[Reading] = []
    bad: list[str] = []
    for chunk in raw.split(b"\n"):
        if not chunk.strip():
            continue
        text = chunk.decode("utf-8", errors="replace")
        try:
            readings.append(_parse_record(json.loads(text), validator))
        except (ValueError, TypeError, Rejected):
            bad.append(text + "\n")
    return readings, bad


def _parse_record(record: object, validator: Validator) -> Reading:
    if not isinstance(record, dict):
        raise TypeError("not an object")
    reading = validator.validate_mapping(record, "replay")
    kind = record.get("kind")
    score = record.get("score")
    reading.is_anomaly = record.get("is_anomaly") is True
    reading.kind = kind if isinstance(kind, str) else None
    reading.score = float(score) if isinstance(score, int | float) else None
    return reading
