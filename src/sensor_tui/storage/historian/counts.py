"""Counts over long spans of the historian, answered from the rollups where they can be.

Why: a chart of 30 days asks how many anomalies its span holds. Counted over the readings that
is 2.6 million index entries a tag (each checked in the table for its flag): seconds. The
rollups already hold the count per hour and per minute, so the span is cut into whole hours
(from `rollup_hour`), the whole minutes at either side (`rollup_minute`) and the seconds left
at the two ends (`readings`): the same exact count, from a few hundred rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sensor_tui.model.readings import parse_ts

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def _ceil(moment: datetime, step: timedelta) -> datetime:
    floor = _floor(moment, step)
    return floor if floor == moment else floor + step


def _floor(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // step) * step


def span_pieces(start: str, end: str) -> list[tuple[str, datetime, datetime]]:
    """[start, end) cut into (source, from, to) pieces: 'readings', 'rollup_minute' and
    'rollup_hour', together covering the span once, the rollups only over whole buckets."""
    lo, hi = parse_ts(start), parse_ts(end)
    if hi <= lo:
        return []
    m0, m1 = _ceil(lo, MINUTE), _floor(hi, MINUTE)
    if m0 >= m1:
        return [("readings", lo, hi)]
    pieces = [("readings", lo, m0), ("readings", m1, hi)]
    h0, h1 = _ceil(lo, HOUR), _floor(hi, HOUR)
    if h0 >= h1:
        return [*pieces, ("rollup_minute", m0, m1)]
    return [
        *pieces,
        ("rollup_minute", m0, h0),
        ("rollup_minute", h1, m1),
        ("rollup_hour", h0, h1),
    ]


def anomaly_count_sql(cond: str, params: list[Any], start: str, end: str) -> tuple[str, list[Any]]:
    """One statement summing a tag's anomalies over [start, end) from the pieces above (`cond`
    selects the tag, with `params`)."""
    parts, values = [], []
    for source, lo, hi in span_pieces(start, end):
        if lo >= hi:
            continue
        if source == "readings":
            parts.append(
                f"SELECT count(*) FROM readings WHERE {cond} AND is_anomaly"
                " AND ts >= %s AND ts < %s"
            )
        else:
            parts.append(
                f"SELECT coalesce(sum(anomalies), 0) FROM {source}"
                f" WHERE {cond} AND bucket >= %s AND bucket < %s"
            )
        values += [*params, lo, hi]
    if not parts:
        return "SELECT 0", []
    return "SELECT " + " + ".join(f"({part})" for part in parts), values


def site_summary(conn: Any) -> list[tuple[str, int, str, str]]:
    """(site, readings, first hour, last hour) from the hour rollups (not the readings)."""
    rows = conn.execute(
        "SELECT site, sum(count)::bigint, min(bucket)::text, max(bucket)::text FROM rollup_hour"
        " GROUP BY site ORDER BY site"
    ).fetchall()
    return [(r[0], int(r[1]), r[2], r[3]) for r in rows]
