"""Read-only access to the historian: the same questions `storage.reader.Reader` answers for a
local file, asked of PostgreSQL (`storage.readers.HistoryReader` is the interface of both).

Sites: a reader opened with `site` answers for that site and names tags plainly, as a local
file does; one opened without a site sees every site and names tags `site/tag`. Timestamps come
back in the canonical text form (`2026-01-15T08:00:00.000000Z`), epochs as float seconds, so
callers cannot tell the two apart. The session is read-only (`default_transaction_read_only`),
so even a role allowed to write cannot change the historian through a viewer.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from sensor_tui.model.alarm_record import AlarmRow
from sensor_tui.storage.historian import HistorianUnavailable, connect, report_reads
from sensor_tui.storage.historian.counts import anomaly_count_sql
from sensor_tui.storage.historian.writes import ALARM_COLUMNS, alarm_dict
from sensor_tui.storage.rollups import HOUR, MINUTE
from sensor_tui.storage.store import StoreUnavailable

TS = "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"  # canonical text
UNITS = {MINUTE: ("rollup_minute", "minute"), HOUR: ("rollup_hour", "hour")}
ALARM_SELECT = ", ".join(f'"{c}"' for c in ALARM_COLUMNS)


class PgReader:
    """One thread's read-only view of the historian (reconnects after a lost connection)."""

    def __init__(self, url: str, site: str | None = None) -> None:
        self.url = url
        self.site = site
        self.path = url.split("@")[-1]  # for messages: never the password
        self._conn: Any = None

    # -- plumbing ---------------------------------------------------------------------------

    def connection(self) -> Any:
        """The open connection, (re)opened when missing or broken."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                conn = connect(self.url, autocommit=True)
            except HistorianUnavailable as exc:
                raise StoreUnavailable(str(exc)) from exc
            conn.execute("SET default_transaction_read_only = on")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        """Close the connection if open."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        try:
            return list(self.connection().execute(sql, list(params)).fetchall())
        except psycopg.Error as exc:
            self.close()
            raise StoreUnavailable(f"cannot read the historian {self.path}: {exc}") from exc

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows from a server-side cursor: a month of readings never sits in memory at once."""
        import psycopg

        try:
            with self.connection().cursor() as cur:
                yield from cur.stream(sql, list(params), size=8192)
        except psycopg.Error as exc:
            self.close()
            raise StoreUnavailable(f"cannot read the historian {self.path}: {exc}") from exc

    def _tag_expr(self) -> str:
        return "tag" if self.site else "(site || '/' || tag)"

    def _one(self, tag: str) -> tuple[str, list[Any]]:
        """A condition selecting one tag (`site/tag` when the reader has no site)."""
        if self.site:
            return "site = %s AND tag = %s", [self.site, tag]
        site, _, name = tag.partition("/")
        return "site = %s AND tag = %s", [site, name]

    def _alarm_select(self) -> str:
        """The alarm columns, with tag and id named `site/...` when the reader has no site."""
        if self.site:
            return ALARM_SELECT
        return ALARM_SELECT.replace('"id"', "(site || '/' || id)", 1).replace(
            '"tag"', "(site || '/' || tag)", 1
        )

    def _scope(self) -> tuple[str, list[Any]]:
        return ("site = %s", [self.site]) if self.site else ("true", [])

    # -- readings ---------------------------------------------------------------------------

    def sites(self) -> list[str]:
        """Every site that recorded tags."""
        return [row[0] for row in self._rows("SELECT DISTINCT site FROM tags ORDER BY site")]

    def has_table(self, name: str) -> bool:
        """True when the historian holds this table."""
        return self._rows("SELECT to_regclass(%s) IS NOT NULL", [name])[0][0]

    def tag_rows(self) -> list[dict[str, Any]]:
        """The tags recorded (of the site, or of all sites as `site/tag`)."""
        scope, params = self._scope()
        rows = self._rows(
            f"SELECT {self._tag_expr().replace('tag', 'name')}, unit, normal_low, normal_high,"
            f" valid_low, valid_high FROM tags WHERE {scope} ORDER BY site, position, name",
            params,
        )
        names = ("name", "unit", "normal_low", "normal_high", "valid_low", "valid_high")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def recent_readings(self, tag: str, limit: int) -> list[tuple[float, str]]:
        """The last `limit` (value, timestamp) of a tag, oldest first."""
        cond, params = self._one(tag)
        rows = self._rows(
            f"SELECT value, {TS} FROM readings WHERE {cond} ORDER BY ts DESC LIMIT %s",
            [*params, limit],
        )
        return [(row[0], row[1]) for row in reversed(rows)]

    def latest(
        self,
        tag: str | None = None,
        limit: int = 100,
        since: str | None = None,
        until: str | None = None,
        only_anomalies: bool = False,
    ) -> list[dict[str, Any]]:
        """The latest `limit` readings (of one tag or all), in time order."""
        cond, params = self._one(tag) if tag else self._scope()
        cond += " AND is_anomaly" if only_anomalies else ""  # a partial index (schema 2)
        for bound, op in ((since, ">="), (until, "<=")):
            if bound:
                cond += f" AND ts {op} %s::timestamptz"
                params.append(bound)
        rows = self._rows(
            f"SELECT {TS}, {self._tag_expr()}, value, is_anomaly::int, score, kind, source"
            f' FROM readings WHERE {cond} ORDER BY ts DESC, tag COLLATE "C" LIMIT %s',
            [*params, limit],
        )
        names = ("timestamp", "tag", "value", "is_anomaly", "score", "kind", "source")
        return [dict(zip(names, row, strict=True)) for row in reversed(rows)]

    def anomalies(
        self, tag: str | None = None, limit: int = 100, since: str | None = None
    ) -> list[dict[str, Any]]:
        """The latest `limit` anomalous readings, newest last."""
        rows = self.latest(tag, limit, since, only_anomalies=True)
        return [{k: v for k, v in r.items() if k != "is_anomaly"} for r in rows]

    def tag_stats(self, tags: list[str]) -> list[dict[str, Any]]:
        """Per tag: count, first and last timestamp, anomalies."""
        out = []
        for tag in tags:
            cond, params = self._one(tag)
            count, first, last, flagged = self._rows(
                f"SELECT count(*), min({TS}), max({TS}), count(*) FILTER (WHERE is_anomaly)"
                f" FROM readings WHERE {cond}",
                params,
            )[0]
            out.append(
                {"tag": tag, "count": count, "first": first, "last": last, "anomalies": flagged}
            )
        return out

    def history(
        self, tag: str, start: str, end: str
    ) -> tuple[array[float], array[float], array[int]]:
        """A tag's readings with start <= timestamp < end as typed arrays (epoch, value, flag)."""
        cond, params = self._one(tag)
        times, values, flags = array("d"), array("d"), array("b")
        sql = (
            "SELECT extract(epoch FROM ts)::float8, value, is_anomaly::int FROM readings"
            f" WHERE {cond} AND ts >= %s::timestamptz AND ts < %s::timestamptz ORDER BY ts"
        )
        end = end if len(end) >= 10 else "infinity"  # "9999": a local file's open end
        for t, v, a in self._stream(sql, [*params, start, end]):
            times.append(round(t, 6))
            values.append(v)
            flags.append(a)
        return times, values, flags

    def has_rollups(self) -> bool:
        """Always: the historian keeps both rollups from its first version."""
        return True

    def rollups(
        self, tag: str, width: int, since: float, until: float
    ) -> tuple[array[float], array[float], array[float], array[float], array[int]]:
        """A tag's buckets of `width` seconds overlapping [since, until] (epoch seconds)."""
        table, unit = UNITS[width]
        cond, params = self._one(tag)
        starts, lows, highs, means = array("d"), array("d"), array("d"), array("d")
        anomalies = array("q")
        sql = (
            f"SELECT extract(epoch FROM bucket)::float8, min, max, sum, count, anomalies"
            f" FROM {table} WHERE {cond} AND bucket >= date_trunc('{unit}', to_timestamp(%s))"
            f" AND bucket <= date_trunc('{unit}', to_timestamp(%s)) ORDER BY bucket"
        )
        # a window's buckets are few (a chart's width): one fetch, not a row-by-row stream
        for start, low, high, total, count, flagged in self._rows(sql, [*params, since, until]):
            starts.append(start)
            lows.append(low)
            highs.append(high)
            means.append(total / count)
            anomalies.append(flagged)
        return starts, lows, highs, means, anomalies

    def anomaly_count(self, tag: str, start: str, end: str) -> int:
        """Stored anomalies of a tag with start <= timestamp < end (whole hours and minutes
        from the rollups: `storage.historian.counts`)."""
        cond, params = self._one(tag)
        try:
            sql, values = anomaly_count_sql(cond, params, start, end)
        except ValueError:  # not canonical times (a caller's text): count the readings
            bounds = "ts >= %s::timestamptz AND ts < %s::timestamptz"
            sql = f"SELECT count(*) FROM readings WHERE {cond} AND is_anomaly AND {bounds}"
            values = [*params, start, end]
        return int(self._rows(sql, values)[0][0])

    def span(self) -> tuple[str | None, str | None]:
        """The first and last stored timestamps (both None when empty)."""
        scope, params = self._scope()
        row = self._rows(f"SELECT min({TS}), max({TS}) FROM readings WHERE {scope}", params)[0]
        return row[0], row[1]

    def export(
        self, tags: list[str] | None, start: str | None, end: str | None
    ) -> Iterator[tuple[Any, ...]]:
        """Stored readings in time order, streamed:
        (timestamp, tag, value, is_anomaly, score, kind, source)."""
        cond, params = self._scope()
        if tags:
            pairs = [self._one(tag)[1] for tag in tags]
            cond += " AND (site, tag) IN (" + ", ".join(["(%s, %s)"] * len(pairs)) + ")"
            params += [x for pair in pairs for x in pair]
        for bound, op in ((start, ">="), (end, "<")):
            if bound:
                cond += f" AND ts {op} %s::timestamptz"
                params.append(bound)
        sql = (
            f"SELECT {TS}, {self._tag_expr()}, value, is_anomaly::int, score, kind, source"
            f' FROM readings WHERE {cond} ORDER BY ts, {self._tag_expr()} COLLATE "C"'
        )
        return self._stream(sql, params)

    # -- alarms -----------------------------------------------------------------------------

    def list_alarms(
        self,
        states: Sequence[str] | None = None,
        tag: str | None = None,
        limit: int = 200,
        since: str | None = None,
    ) -> list[AlarmRow]:
        """Alarms, newest start first (see `storage.alarm_reads.list_alarms`)."""
        cond, params = self._one(tag) if tag else self._scope()
        if states:
            cond += " AND state = ANY(%s)"
            params.append(list(states))
        if since:
            cond += ' AND "end" >= %s'
            params.append(since)
        rows = self._rows(
            f"SELECT {self._alarm_select()} FROM alarms WHERE {cond} ORDER BY start DESC LIMIT %s",
            [*params, limit],
        )
        return [alarm_dict(row) for row in rows]

    def get_alarm(self, alarm_id: str) -> AlarmRow | None:
        """One alarm by id (`site/id` when the reader has no site), or None."""
        cond, params = self._one(alarm_id)
        cond = cond.replace("tag", "id")
        rows = self._rows(
            f"SELECT {self._alarm_select()} FROM alarms WHERE {cond}",
            params,
        )
        return alarm_dict(rows[0]) if rows else None

    def journal(self, alarm_id: str) -> list[dict[str, Any]]:
        """Every transition of one alarm, oldest first."""
        cond, params = self._one(alarm_id)
        rows = self._rows(
            "SELECT time, from_state, to_state, actor, via, detail FROM alarm_events"
            f" WHERE {cond.replace('tag', 'alarm_id')} ORDER BY local_id",
            params,
        )
        names = ("time", "from_state", "to_state", "actor", "via", "detail")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def report_inputs(self, since: str | None = None) -> tuple[list[Any], list[Any]]:
        """The alarm rows and injected faults the alarm report judges (`report_reads`)."""
        return report_reads.report_inputs(self._rows, self.site, since, self.has_table("events"))
