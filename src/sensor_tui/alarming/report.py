"""`sensor-tui alarms report`, the health screen and the status line's grade, from one place."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from sensor_tui.alarming import states
from sensor_tui.alarming.grading import Fault, Grade, grade
from sensor_tui.alarming.health import AlarmFacts, Health, health
from sensor_tui.model.readings import epoch


def build_report(
    alarm_rows: Iterable[Sequence[Any]],
    fault_rows: Iterable[Sequence[Any]],
    since: str | None = None,
    now: float | None = None,
) -> tuple[Health, Grade]:
    """KPIs and the detector's grade for alarms (and faults) starting at or after `since`.

    Takes the rows rather than a reader, so the alarm domain depends on no storage: the caller
    reads them with `storage.alarm_reads.report_inputs`."""
    moment = time.time() if now is None else now
    alarms = [AlarmFacts.from_row(row) for row in alarm_rows]
    faults = [Fault.from_row(row) for row in fault_rows]
    start = epoch(since) if since else None
    return health(alarms, moment, start), grade(alarms, faults, moment)


def report_dict(kpis: Health, grading: Grade) -> dict[str, Any]:
    """What `alarms report --json` prints."""
    return {"health": kpis.as_dict(), "detector": grading.as_dict()}


def report_lines(kpis: Health, grading: Grade) -> list[str]:
    """The report as plain lines (the health screen shows the same)."""
    lines = [
        f"alarms: {kpis.alarms} over {kpis.periods} ten-minute periods",
        f"per 10 min: average {kpis.per_10min_avg:.2f}, peak {kpis.per_10min_peak} "
        "(EEMUA 191: about 1 is manageable, more than 10 is a flood)",
        f"floods (>10 in 10 min): {kpis.floods} ({kpis.flood_share:.1%} of periods)",
        f"chattering (3+ in a minute): {len(kpis.chattering)}",
    ]
    lines += [
        f"  {c['tag']} {c['kind']}: {c['alarms']} alarms, up to {c['max_per_minute']} a minute"
        for c in kpis.chattering[:5]
    ]
    lines.append(f"stale (active > 24 h): {len(kpis.stale)}")
    lines.append("top bad actors:")
    lines += [
        f"  {a['tag']} {a['kind']}: {a['alarms']} ({a['share']:.0%})" for a in kpis.bad_actors
    ]
    counts = ", ".join(f"{states.LABELS.get(s, s)} {n}" for s, n in sorted(kpis.states.items()))
    lines.append(f"states: {counts or '-'}")
    lines.append(f"detector: {grading.line()}")
    if grading.random_spikes_caught:
        lines.append(f"  random simulator spikes caught: {grading.random_spikes_caught}")
    return lines
