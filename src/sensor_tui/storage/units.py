"""Every SQL statement of unit health: references, unit statistics, the readings a reference is
fitted on.

Writes take the writer's open transaction and never commit (the `Store` does), so a unit's
statistics land in the same commit as the readings that made them. Reads take any connection
(a `Reader`'s for the chart and the CLI, the writer's own when the monitor refits a unit).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

INSERT_SCORES_SQL = (
    "INSERT OR REPLACE INTO unit_scores (unit, timestamp, statistic, control_limit, is_anomaly) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]') "
    "FROM json_each(?)"
)
"""One JSON array of (unit, timestamp, statistic, limit, is_anomaly) rows per write."""

UPSERT_REFERENCE_SQL = (
    'INSERT OR REPLACE INTO unit_references (unit, detector, tags, state, since, "until", '
    "observations, origin, fitted_at) VALUES (:unit, :detector, :tags, :state, :since, :until, "
    ":observations, :origin, :fitted_at)"
)

REFERENCE_FIELDS = ("unit", "detector", "tags", "state", "since", "until", "observations",
                    "origin", "fitted_at")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reference:
    """A unit's learned reference as stored: what was fitted, on what, when and by whom."""

    unit: str
    detector: str
    tags: tuple[str, ...]
    state: dict[str, Any]
    since: str | None
    until: str | None
    observations: int
    origin: str
    """"warm-up" (the first observations) or "operator" (a period marked as normal)."""
    fitted_at: str

    def as_row(self) -> dict[str, Any]:
        """The `unit_references` row (tags and state as JSON)."""
        return {
            "unit": self.unit,
            "detector": self.detector,
            "tags": json.dumps(list(self.tags)),
            "state": json.dumps(self.state),
            "since": self.since,
            "until": self.until,
            "observations": self.observations,
            "origin": self.origin,
            "fitted_at": self.fitted_at,
        }


@dataclass(slots=True)
class UnitRows:
    """What one transaction stores for the units: statistics (unit, timestamp, statistic,
    limit, flagged), references, and unit alarm rows (written with the tags' alarms)."""

    scores: list[tuple[str, str, float, float, int]] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.scores or self.references or self.alarms)


def write_scores(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Store unit statistics (one row per observation) in the open transaction."""
    if rows:
        conn.execute(INSERT_SCORES_SQL, (json.dumps(list(rows)),))


def write_references(conn: sqlite3.Connection, references: Sequence[Reference]) -> None:
    """Store (replace) units' references in the open transaction."""
    if references:
        conn.executemany(UPSERT_REFERENCE_SQL, [ref.as_row() for ref in references])


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return row is not None


def load_references(conn: sqlite3.Connection) -> dict[str, Reference]:
    """Every stored reference by unit (empty for a file older than unit health)."""
    if not _has_table(conn, "unit_references"):
        return {}
    fields = ", ".join(f'"{name}"' for name in REFERENCE_FIELDS)
    out = {}
    for row in conn.execute(f"SELECT {fields} FROM unit_references").fetchall():
        values = dict(zip(REFERENCE_FIELDS, row, strict=True))
        values["tags"] = tuple(json.loads(values["tags"]))
        values["state"] = json.loads(values["state"])
        out[values["unit"]] = Reference(**values)
    return out


def load_scores(
    conn: sqlite3.Connection, unit: str, since: str, until: str | None = None, limit: int = 20_000
) -> list[tuple[str, float, float, bool]]:
    """(timestamp, statistic, limit, flagged) of a unit's observations in [since, until)."""
    if not _has_table(conn, "unit_scores"):
        return []
    sql = (
        "SELECT timestamp, statistic, control_limit, is_anomaly FROM unit_scores "
        "WHERE unit = ? AND timestamp >= ?"
    )
    params: list[Any] = [unit, since]
    if until is not None:
        sql += " AND timestamp < ?"
        params.append(until)
    sql += " ORDER BY timestamp DESC LIMIT ?"
    rows = conn.execute(sql, [*params, limit]).fetchall()
    return [(ts, stat, lim, bool(flag)) for ts, stat, lim, flag in reversed(rows)]


def readings_between(
    conn: sqlite3.Connection, tags: Sequence[str], since: str | None, until: str | None
) -> Iterator[tuple[str, str, float]]:
    """(timestamp, tag, value) of the tags in [since, until), in time order: what a reference
    is fitted on. Lazily, so a week of readings is never held at once."""
    marks = ",".join("?" * len(tags))
    sql = f"SELECT timestamp, tag, value FROM measurements WHERE tag IN ({marks})"
    params: list[Any] = list(tags)
    if since is not None:
        sql += " AND timestamp >= ?"
        params.append(since)
    if until is not None:
        sql += " AND timestamp < ?"
        params.append(until)
    yield from conn.execute(sql + " ORDER BY timestamp", params)
