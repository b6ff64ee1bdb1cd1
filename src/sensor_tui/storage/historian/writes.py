"""The forwarder's writes to the historian: one transaction per batch, idempotent.

Readings go by COPY into a temporary staging table, then one INSERT ... ON CONFLICT DO NOTHING
into the partitioned table; the same statement adds the rows it actually inserted to the minute
and hour rollups (data-modifying CTEs), so a batch sent twice (the edge died before recording
its watermark) is neither stored nor counted twice. Alarms are upserted by (site, id), newer
`updated_at` winning; alarm events by (site, local id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sensor_tui.model.alarm_record import AlarmRow, read_back, record_from
from sensor_tui.storage.historian.schema import ensure_partitions

STAGE_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS stage_readings (site text, ts timestamptz, tag text,"
    " value double precision, is_anomaly boolean, score double precision, kind text,"
    " source text) ON COMMIT DELETE ROWS"
)
COLUMNS = "(site, ts, tag, value, is_anomaly, score, kind, source)"
STAGE_COPY_SQL = f"COPY stage_readings {COLUMNS} FROM STDIN"
DIRECT_COPY_SQL = f"COPY readings {COLUMNS} FROM STDIN"

_MERGE = (
    " ON CONFLICT (site, tag, bucket) DO UPDATE SET min = least({t}.min, excluded.min),"
    " max = greatest({t}.max, excluded.max), sum = {t}.sum + excluded.sum,"
    " count = {t}.count + excluded.count, anomalies = {t}.anomalies + excluded.anomalies"
)


def _rollup_cte(name: str, table: str, unit: str) -> str:
    return (
        f"{name} AS (INSERT INTO {table} SELECT site, tag, date_trunc('{unit}', ts) AS b,"
        " min(value), max(value), sum(value), count(*), count(*) FILTER (WHERE is_anomaly)"
        " FROM ins GROUP BY site, tag, b" + _MERGE.format(t=table) + ")"
    )


MERGE_STAGE_SQL = (
    f"WITH ins AS (INSERT INTO readings {COLUMNS} SELECT * FROM stage_readings"
    " ON CONFLICT DO NOTHING RETURNING site, tag, ts, value, is_anomaly), "
    + _rollup_cte("m", "rollup_minute", "minute")
    + ", "
    + _rollup_cte("h", "rollup_hour", "hour")
    + " SELECT count(*) FROM ins"
)
"""From staging: insert what is new and add only that to the rollups (a resent batch)."""

STAGE_MINUTES_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS stage_minutes (tag text, bucket timestamptz,"
    " min double precision, max double precision, sum double precision, count bigint,"
    " anomalies bigint) ON COMMIT DELETE ROWS"
)
MERGE_MINUTES_SQL = (
    "INSERT INTO rollup_minute SELECT %s, tag, bucket, min, max, sum, count, anomalies"
    " FROM stage_minutes" + _MERGE.format(t="rollup_minute"),
    "INSERT INTO rollup_hour SELECT %s, tag, date_trunc('hour', bucket) AS h, min(min), max(max),"
    " sum(sum), sum(count), sum(anomalies) FROM stage_minutes GROUP BY tag, h"
    + _MERGE.format(t="rollup_hour"),
)


def write_readings(
    conn: Any, site: str, rows: Sequence[Sequence[Any]], known_days: set[date]
) -> int:
    """Store rows (timestamp, tag, value, is_anomaly, score, kind, source) of one site in one
    transaction through staging; returns how many were new."""
    days = {date.fromisoformat(row[0][:10]) for row in rows}
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(STAGE_SQL)
        ensure_partitions(cur, days, known_days)
        with cur.copy(STAGE_COPY_SQL) as copy:
            for ts, tag, value, flag, score, kind, source in rows:
                copy.write_row((site, ts, tag, value, bool(flag), score, kind, source))
        cur.execute(MERGE_STAGE_SQL)
        return int(cur.fetchone()[0])


def write_copy_batch(
    conn: Any,
    site: str,
    text: bytes,
    minutes: Sequence[Sequence[Any]],
    known_days: set[date],
) -> int:
    """Store a batch given as COPY text (`storage.forward_marks.copy_batch`) in one
    transaction; returns how many readings were new.

    The usual case, a batch never sent, is a plain COPY into the table and its minute rollups
    (computed by SQLite) merged in: as fast as a bulk load gets. A batch the historian already
    holds in part (the edge died before recording its watermark) breaks the unique key; then
    the COPY is rolled back to its savepoint and the batch goes through staging, where only
    the rows not yet stored are inserted and counted."""
    days = {date.fromisoformat(row[1][:10]) for row in minutes}
    import psycopg

    with conn.transaction(), conn.cursor() as cur:
        ensure_partitions(cur, days, known_days)
        try:
            with conn.transaction(), cur.copy(DIRECT_COPY_SQL) as copy:
                copy.write(text)
        except psycopg.errors.UniqueViolation:
            cur.execute(STAGE_SQL)
            with cur.copy(STAGE_COPY_SQL) as copy:
                copy.write(text)
            cur.execute(MERGE_STAGE_SQL)
            return int(cur.fetchone()[0])
        cur.execute(STAGE_MINUTES_SQL)
        with cur.copy("COPY stage_minutes FROM STDIN") as copy:
            for row in minutes:
                copy.write_row(row)
        for sql in MERGE_MINUTES_SQL:
            cur.execute(sql, (site,))
        return sum(int(row[5]) for row in minutes)


ALARM_COLUMNS = (
    "id", "tag", "kind", "start", "end", "peak_score", "readings", "active", "state", "priority",
    "acked_at", "acked_by", "shelved_until", "shelved_from_state", "last_value", "peak_value",
    "deviation", "source", "origin", "updated_at", "contributions",
)  # fmt: skip
_QUOTED = ", ".join(f'"{c}"' for c in ALARM_COLUMNS)
UPSERT_ALARM_SQL = (
    f"INSERT INTO alarms (site, {_QUOTED}) VALUES (%s, {', '.join(['%s'] * len(ALARM_COLUMNS))})"
    " ON CONFLICT (site, id) DO UPDATE SET "
    + ", ".join(f'"{c}" = excluded."{c}"' for c in ALARM_COLUMNS[1:])
    + " WHERE alarms.updated_at IS NULL OR excluded.updated_at >= alarms.updated_at"
)


def alarm_dict(row: Sequence[Any]) -> AlarmRow:
    """A historian alarm row as the read-back record; a unit alarm's contributions decoded to
    {tag: share}, as a local file's reader gives them."""
    return read_back(record_from(ALARM_COLUMNS, row))


EVENT_COLUMNS = ("id", "alarm_id", "time", "from_state", "to_state", "actor", "via", "detail")
INSERT_EVENT_SQL = (
    "INSERT INTO alarm_events (site, local_id, alarm_id, time, from_state, to_state, actor, via,"
    " detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)


def write_alarms(
    conn: Any, site: str, alarms: Sequence[Sequence[Any]], events: Sequence[Sequence[Any]]
) -> None:
    """Upsert alarm rows (`ALARM_COLUMNS` order) and insert journal rows (`EVENT_COLUMNS`
    order) of one site, in one transaction."""
    with conn.transaction(), conn.cursor() as cur:
        if alarms:
            cur.executemany(UPSERT_ALARM_SQL, [(site, *row) for row in alarms])
        if events:
            cur.executemany(INSERT_EVENT_SQL, [(site, *row) for row in events])


UPSERT_EVENT_SQL = (
    'INSERT INTO events (site, id, start, "end", tag, kind, source, detail)'
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (site, id) DO UPDATE SET"
    ' start = excluded.start, "end" = excluded."end", tag = excluded.tag, kind = excluded.kind,'
    " source = excluded.source, detail = excluded.detail"
)


def write_events(conn: Any, site: str, events: Sequence[Sequence[Any]]) -> None:
    """Upsert a site's `events` rows (id, start, end, tag, kind, source, detail) by (site, id):
    an event sent again, or again once ended, is one row."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(UPSERT_EVENT_SQL, [(site, *row) for row in events])


def write_tags(conn: Any, site: str, tags: Sequence[dict[str, Any]]) -> None:
    """Record a site's configured tags (so a viewer knows units and bands)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO tags (site, name, unit, normal_low, normal_high, valid_low, valid_high,"
            " position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (site, name) DO UPDATE"
            " SET unit = excluded.unit, normal_low = excluded.normal_low,"
            " normal_high = excluded.normal_high, valid_low = excluded.valid_low,"
            " valid_high = excluded.valid_high, position = excluded.position",
            [
                (site, t["name"], t["unit"], t["normal_low"], t["normal_high"], t["valid_low"],
                 t["valid_high"], i)
                for i, t in enumerate(tags)
            ],
        )  # fmt: skip
