"""The central PostgreSQL historian: its schema, the forwarder's bulk writes, its reader.

Importing this package needs psycopg (the `historian` extra); the monitor without a historian
never imports it. `connect` says which extra to install when psycopg is missing.
"""

from __future__ import annotations

from typing import Any

from sensor_tui.model.errors import SensorTuiError


class HistorianUnavailable(SensorTuiError):
    """The historian cannot be reached or refused a statement; the caller retries later."""


MISSING_DRIVER = (
    "the PostgreSQL historian needs psycopg: pip install 'sensor-tui[historian]' "
    "(the 'historian' extra)"
)


def is_historian_url(text: str | None) -> bool:
    """True for a postgresql:// (or postgres://) URL rather than a SQLite file name."""
    return bool(text) and str(text).startswith(("postgresql://", "postgres://"))


def connect(url: str, autocommit: bool = False, timeout: float = 5.0) -> Any:
    """A psycopg connection, or HistorianUnavailable naming the cause (no driver, no server)."""
    try:
        import psycopg
    except ImportError as exc:
        raise HistorianUnavailable(MISSING_DRIVER) from exc
    try:
        return psycopg.connect(  # UTC: rollup buckets and bare times never follow a local zone
            url,
            autocommit=autocommit,
            connect_timeout=max(1, int(timeout)),
            options="-c TimeZone=UTC",
        )
    except psycopg.Error as exc:
        raise HistorianUnavailable(f"cannot connect to the historian: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
