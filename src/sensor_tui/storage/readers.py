"""The reading side as one interface with two implementations: a local SQLite file
(`LocalReader`, the `Reader` with its alarm queries as methods) and the PostgreSQL historian
(`storage.historian.reader.PgReader`). Exports, `alarms` and the GET routes take a
`HistoryReader` from `open_reader`, so they work the same against either; so do the
monitor's charts and alarm panel (`Monitor.open_reader`, `runtime.historian_view`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from sensor_tui.model.alarm_record import AlarmRow
from sensor_tui.storage import alarm_reads
from sensor_tui.storage.reader import Reader


class HistoryReader(Protocol):
    """What every view of stored readings and alarms can ask (read-only)."""

    def close(self) -> None: ...
    def tag_rows(self) -> list[dict[str, Any]]: ...
    def recent_readings(self, tag: str, limit: int) -> list[tuple[float, str]]: ...
    def latest(
        self,
        tag: str | None = None,
        limit: int = 100,
        since: str | None = None,
        until: str | None = None,
    ) -> list[dict[str, Any]]: ...
    def anomalies(
        self, tag: str | None = None, limit: int = 100, since: str | None = None
    ) -> list[dict[str, Any]]: ...
    def tag_stats(self, tags: list[str]) -> list[dict[str, Any]]: ...
    def history(
        self, tag: str, start: str, end: str
    ) -> tuple[array[float], array[float], array[int]]: ...
    def has_rollups(self) -> bool: ...
    def rollups(
        self, tag: str, width: int, since: float, until: float
    ) -> tuple[array[float], array[float], array[float], array[float], array[int]]: ...
    def anomaly_count(self, tag: str, start: str, end: str) -> int: ...
    def span(self) -> tuple[str | None, str | None]: ...
    def export(
        self, tags: list[str] | None, start: str | None, end: str | None
    ) -> Iterator[tuple[Any, ...]]: ...
    def list_alarms(
        self,
        states: Sequence[str] | None = None,
        tag: str | None = None,
        limit: int = 200,
        since: str | None = None,
    ) -> list[AlarmRow]: ...
    def get_alarm(self, alarm_id: str) -> AlarmRow | None: ...
    def journal(self, alarm_id: str) -> list[dict[str, Any]]: ...
    def report_inputs(self, since: str | None = None) -> tuple[list[Any], list[Any]]: ...


class LocalReader(Reader):
    """A local file's `Reader` with the alarm queries of `storage.alarm_reads` as methods."""

    def list_alarms(
        self,
        states: Sequence[str] | None = None,
        tag: str | None = None,
        limit: int = 200,
        since: str | None = None,
    ) -> list[AlarmRow]:
        """Alarms, newest start first."""
        return alarm_reads.list_alarms(self, states, tag, limit, since)

    def get_alarm(self, alarm_id: str) -> AlarmRow | None:
        """One alarm by id, or None."""
        return alarm_reads.get_alarm(self, alarm_id)

    def journal(self, alarm_id: str) -> list[dict[str, Any]]:
        """Every transition of one alarm, oldest first."""
        return alarm_reads.journal(self, alarm_id)

    def report_inputs(self, since: str | None = None) -> tuple[list[Any], list[Any]]:
        """The alarm rows and injected faults `alarming.report.build_report` judges."""
        return alarm_reads.report_inputs(self, since)


def is_historian(target: str | Path) -> bool:
    """True for a postgresql:// URL."""
    return str(target).startswith(("postgresql://", "postgres://"))


def open_reader(target: str | Path, site: str | None = None) -> HistoryReader:
    """A reader of a local file or of the historian at a postgresql:// URL (`site`: only that
    site's tags, named plainly; None: every site, tags named `site/tag`). The local file has
    one site, so `site` is not used there."""
    if is_historian(target):
        from sensor_tui.storage.historian.reader import PgReader

        return PgReader(str(target), site)
    return LocalReader(target)
