"""What a viewer following the historian asks every few seconds: the readings of a tag newer
than the last it saw, and the alarm rows the edges changed since (each an index range, never
a scan of the site's readings)."""

from __future__ import annotations

from sensor_tui.model.alarm_record import AlarmRow
from sensor_tui.model.readings import Reading
from sensor_tui.storage.historian.reader import PgReader
from sensor_tui.storage.historian.writes import alarm_dict


def newest_timestamp(reader: PgReader, tag: str) -> str:
    """The tag's last stored timestamp ('' when it has none)."""
    rows = reader.latest(tag, 1)
    return str(rows[0]["timestamp"]) if rows else ""


def readings_after(reader: PgReader, tag: str, after: str, limit: int) -> list[Reading]:
    """The tag's readings with a timestamp after `after`, oldest first (at most `limit`, the
    newest of them: a viewer that fell behind shows the present, the rest is read on demand)."""
    rows = reader.latest(tag, limit, after) if after else []
    return [
        Reading(
            tag,
            row["timestamp"],
            row["value"],
            row["source"] or "historian",
            bool(row["is_anomaly"]),
            row["score"],
            row["kind"] or None,
        )
        for row in rows
        if row["timestamp"] > after
    ]


def alarms_changed_after(reader: PgReader, updated_at: str) -> list[AlarmRow]:
    """Alarm rows of the reader's site changed after `updated_at`, oldest change first."""
    scope, params = reader._scope()
    rows = reader._rows(
        f"SELECT {reader._alarm_select()} FROM alarms WHERE {scope}"
        " AND coalesce(updated_at, start) > %s ORDER BY coalesce(updated_at, start)",
        [*params, updated_at],
    )
    return [alarm_dict(row) for row in rows]


def last_alarm_change(reader: PgReader) -> str:
    """The latest `updated_at` of the site's alarms ('' when none)."""
    scope, params = reader._scope()
    rows = reader._rows(
        f"SELECT max(coalesce(updated_at, start)) FROM alarms WHERE {scope}", params
    )
    return str(rows[0][0] or "")
