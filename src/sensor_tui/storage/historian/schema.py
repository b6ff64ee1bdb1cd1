"""The historian's schema, versioned like the local file's (`schema_version` instead of
`PRAGMA user_version`), with daily partitions of readings and their pruning.

Why partitions: a historian keeps a year or more; dropping a day is then `DROP TABLE` of one
partition (instant, no vacuum), and a time window reads only the days it spans. Why daily: at
10,000 tags at 1 Hz a day is 864M rows; one partition per day keeps each index in memory.
Partitions are created ahead of need (today and the next `AHEAD_DAYS`) and, for backfilled old
readings, by the forwarder before its insert (`ensure_partitions`), under an advisory lock so
several edges creating the same day do not collide.

Every monitor migrates on connect, in one transaction under an advisory lock: the first one to
arrive brings the schema up to date, the others find it done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sensor_tui.model.errors import SensorTuiError

AHEAD_DAYS = 7
"""Partitions created beyond today, so the forwarder never waits on DDL for live readings."""
LOCK_KEY = 7_210_021
"""Advisory lock held while migrating or creating partitions (any constant of our own)."""
READ_ONLY_ROLE = "sensor_tui_reader"
"""The role viewers are given (see docs/historian.md): SELECT on every table, nothing else."""


class HistorianSchemaTooNew(SensorTuiError):
    """The historian was migrated by a newer sensor-tui; this one must not write to it."""


V1_TABLES = (
    "CREATE TABLE IF NOT EXISTS readings (site text NOT NULL, tag text NOT NULL,"
    " ts timestamptz NOT NULL, value double precision NOT NULL,"
    " is_anomaly boolean NOT NULL DEFAULT false, score double precision, kind text, source text,"
    " PRIMARY KEY (site, tag, ts)) PARTITION BY RANGE (ts)",
    "CREATE TABLE IF NOT EXISTS tags (site text NOT NULL, name text NOT NULL, unit text,"
    " normal_low double precision, normal_high double precision,"
    " valid_low double precision, valid_high double precision, PRIMARY KEY (site, name))",
    "CREATE TABLE IF NOT EXISTS alarms (site text NOT NULL, id text NOT NULL, tag text NOT NULL,"
    ' kind text, start text NOT NULL, "end" text, peak_score double precision, readings integer,'
    " active integer, state text, priority integer, acked_at text, acked_by text,"
    " shelved_until text, shelved_from_state text, last_value double precision,"
    " peak_value double precision, deviation double precision, source text, origin text,"
    " updated_at text, PRIMARY KEY (site, id))",
    "CREATE INDEX IF NOT EXISTS alarms_site_start ON alarms (site, start)",
    "CREATE TABLE IF NOT EXISTS alarm_events (site text NOT NULL, local_id bigint NOT NULL,"
    " alarm_id text NOT NULL, time text NOT NULL, from_state text, to_state text NOT NULL,"
    " actor text NOT NULL, via text NOT NULL, detail text, PRIMARY KEY (site, local_id))",
    "CREATE INDEX IF NOT EXISTS alarm_events_alarm ON alarm_events (site, alarm_id, time)",
    *(
        f"CREATE TABLE IF NOT EXISTS {table} (site text NOT NULL, tag text NOT NULL,"
        " bucket timestamptz NOT NULL, min double precision NOT NULL,"
        " max double precision NOT NULL, sum double precision NOT NULL, count bigint NOT NULL,"
        " anomalies bigint NOT NULL, PRIMARY KEY (site, tag, bucket))"
        for table in ("rollup_minute", "rollup_hour")
    ),
)


def _v1_baseline(cur: Any) -> None:
    """Readings (partitioned), tags, alarms, their journal, the two rollups, the viewer role."""
    for sql in V1_TABLES:
        cur.execute(sql)
    cur.execute(
        "DO $$ BEGIN"
        f" IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READ_ONLY_ROLE}') THEN"
        f"  CREATE ROLE {READ_ONLY_ROLE} NOLOGIN;"
        " END IF;"
        " EXCEPTION WHEN insufficient_privilege THEN"
        f"  RAISE NOTICE 'cannot create role {READ_ONLY_ROLE}: create it as a superuser';"
        " END $$"
    )
    cur.execute(
        "DO $$ BEGIN"
        f" IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READ_ONLY_ROLE}') THEN"
        f"  EXECUTE 'GRANT USAGE ON SCHEMA public TO {READ_ONLY_ROLE}';"
        f"  EXECUTE 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READ_ONLY_ROLE}';"
        "  EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f" GRANT SELECT ON TABLES TO {READ_ONLY_ROLE}';"
        " END IF; END $$"
    )


def _v2_events_and_contributions(cur: Any) -> None:
    """The edges' `events` journal (injected faults and outages: what the alarm report grades
    alarms against), a unit alarm's contributions (JSON {tag: share}, as at the edge), and each
    tag's place in its edge's config (a viewer numbers the charts as the edge does), and an
    index of the anomalous readings."""
    cur.execute(
        "CREATE TABLE IF NOT EXISTS events (site text NOT NULL, id text NOT NULL, start text,"
        ' "end" text, tag text, kind text, source text, detail text, PRIMARY KEY (site, id))'
    )
    cur.execute("CREATE INDEX IF NOT EXISTS events_site_start ON events (site, start)")
    cur.execute("ALTER TABLE alarms ADD COLUMN IF NOT EXISTS contributions text")
    cur.execute("ALTER TABLE tags ADD COLUMN IF NOT EXISTS position integer")
    # the anomaly table's newest anomalies: a few rows, not a month of readings scanned
    cur.execute(
        "CREATE INDEX IF NOT EXISTS readings_anomalies ON readings (site, ts) WHERE is_anomaly"
    )
    cur.execute(
        "DO $$ BEGIN"
        f" IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READ_ONLY_ROLE}') THEN"
        f"  EXECUTE 'GRANT SELECT ON events TO {READ_ONLY_ROLE}';"
        " END IF; END $$"
    )


MIGRATIONS: dict[int, Callable[[Any], None]] = {1: _v1_baseline, 2: _v2_events_and_contributions}
"""Version -> the step from the version before; a step never edits an earlier one."""
SCHEMA_VERSION = max(MIGRATIONS)


def migrate(conn: Any) -> list[int]:
    """Bring the historian up to `SCHEMA_VERSION` in one transaction; returns the steps applied.

    Also creates the partitions of today and the next days. Raises HistorianSchemaTooNew."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        cur.execute("SELECT max(version) FROM schema_version")
        current = cur.fetchone()[0] or 0
        if current > SCHEMA_VERSION:
            raise HistorianSchemaTooNew(
                f"historian schema version {current} is newer than this sensor-tui "
                f"understands ({SCHEMA_VERSION}); upgrade sensor-tui"
            )
        steps = [v for v in sorted(MIGRATIONS) if v > current]
        for version in steps:
            MIGRATIONS[version](cur)
        if steps:
            cur.execute("DELETE FROM schema_version")
            cur.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION,))
        today = datetime.now(UTC).date()
        _create_days(cur, (today + timedelta(days=n) for n in range(-1, AHEAD_DAYS + 1)))
    return steps


def partition_name(day: date) -> str:
    """`readings_20260115`: one table per UTC day."""
    return f"readings_{day:%Y%m%d}"


def existing_days(cur: Any) -> set[date]:
    """The days that have a partition."""
    cur.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'readings'"
    )
    days = set()
    for (name,) in cur.fetchall():
        if name.startswith("readings_") and name[9:].isdigit():
            days.add(datetime.strptime(name[9:], "%Y%m%d").date())
    return days


def _create_days(cur: Any, days: Iterable[date]) -> None:
    """Create missing day partitions (the caller holds the advisory lock)."""
    have = existing_days(cur)
    for day in sorted(set(days) - have):
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF readings"
            f" FOR VALUES FROM ('{day.isoformat()}T00:00:00Z')"
            f" TO ('{(day + timedelta(days=1)).isoformat()}T00:00:00Z')"
        )


def ensure_partitions(cur: Any, days: Iterable[date], known: set[date]) -> None:
    """Inside the caller's transaction: make sure each day has a partition. `known` caches the
    days seen to exist, so live readings cost no catalogue query."""
    missing = set(days) - known
    if not missing:
        return
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    _create_days(cur, missing)
    known.update(existing_days(cur))


def prune(conn: Any, keep: timedelta, now: datetime | None = None) -> list[str]:
    """Drop the day partitions wholly older than now - keep, and the minute rollups older too
    (hour rollups are kept: 24 rows per tag and day). Returns the dropped tables."""
    cutoff = (now or datetime.now(UTC)) - keep
    dropped = []
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        for day in sorted(existing_days(cur)):
            if datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) <= cutoff:
                cur.execute(f"DROP TABLE {partition_name(day)}")
                dropped.append(partition_name(day))
        cur.execute("DELETE FROM rollup_minute WHERE bucket < %s", (cutoff,))
    return dropped


def version(conn: Any) -> int:
    """The historian's recorded schema version (0: none)."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('schema_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return 0
        cur.execute("SELECT coalesce(max(version), 0) FROM schema_version")
        return int(cur.fetchone()[0])
