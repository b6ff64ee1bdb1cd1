"""The alarm report's inputs read from the historian: the same two lists
`storage.alarm_reads.report_inputs` reads from a local file (alarm rows and the injected
faults of the `events` journal), so `alarming.report.build_report` grades a site, or every
site at once, exactly as it grades an edge.

Without a site, ids and tags are named `site/...` in both lists, so an alarm is matched only
with a fault of its own site.
"""

from __future__ import annotations

from typing import Any

from sensor_tui.model.timestamps import is_canonical

REPORT_COLUMNS = ("id", "tag", "kind", "start", "end", "active", "state", "origin", "source")
FAULT_COLUMNS = ("id", "tag", "kind", "start", "end", "source")


def _select(columns: tuple[str, ...], site: str | None) -> str:
    names = [f'"{column}"' for column in columns]
    if not site:  # every site: ids and tags named site/...
        names = [f"(site || '/' || {n})" if n in ('"id"', '"tag"') else n for n in names]
    return ", ".join(names)


def _well_formed(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows whose start and end (columns 3 and 4; end may be NULL) are in the stored form."""
    return [
        row for row in rows if is_canonical(row[3]) and (row[4] is None or is_canonical(row[4]))
    ]


def report_sql(site: str | None, since: str | None) -> tuple[str, str, list[Any], list[Any]]:
    """(alarm statement, fault statement, and their parameters)."""
    scope, params = ("site = %s", [site]) if site else ("true", [])
    if since:
        scope += " AND start >= %s"
        params = [*params, since]
    alarms = f"SELECT {_select(REPORT_COLUMNS, site)} FROM alarms WHERE {scope} ORDER BY start"
    faults = (
        f"SELECT {_select(FAULT_COLUMNS, site)} FROM events WHERE {scope}"
        " AND tag IS NOT NULL AND start != '' AND kind != 'outage' ORDER BY start"
    )
    return alarms, faults, params, params


def report_inputs(
    rows: Any, site: str | None, since: str | None, has_events: bool
) -> tuple[list[Any], list[Any]]:
    """`rows(sql, params)` runs a statement; a historian older than the events table has no
    faults to grade against (every alarm then counts as not injected)."""
    alarms_sql, faults_sql, alarm_params, fault_params = report_sql(site, since)
    alarms = _well_formed(rows(alarms_sql, alarm_params))
    faults = _well_formed(rows(faults_sql, fault_params)) if has_events else []
    return alarms, faults
