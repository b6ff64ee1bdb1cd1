"""What the charts pane puts on its charts: readings, alarm spans, titles; and what they say.

The app drains the `LiveFeed` on its own thread and hands the readings to the charts pane, which
puts them on its charts with these functions: accepted readings are marked not stored yet until
their commit clears the mark (see `tui.live` for why both).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sensor_tui.detection.base import is_warming_up
from sensor_tui.model.readings import Reading, epoch
from sensor_tui.tui.axes import clock as clock_text
from sensor_tui.tui.chart import TagChart, format_value
from sensor_tui.tui.messages import Span


def take_readings(
    charts: dict[str, TagChart], accepted: list[Reading], stored: list[Reading], dropped: bool
) -> list[Reading]:
    """Chart the accepted readings (marked not stored yet), clear the marks of committed ones;
    return the readings new to the screen (accepted, then stored but never seen accepted)."""
    add(charts, accepted, unstored=True)
    unseen = settle(charts, stored)  # after the accepted ones: a batch may be both at once
    if dropped and stored:  # commits coalesced away: what is older than these is stored too
        settle_before(charts, max(epoch(r.timestamp) for r in stored))
    add(charts, unseen, unstored=False)
    return [*accepted, *unseen]


def settle(charts: dict[str, TagChart], stored: list[Reading]) -> list[Reading]:
    """Clear the not-stored marks of committed readings; return those never seen accepted
    (a dead-letter replay at start), which still belong on the charts."""
    unseen = []
    touched = set()
    for reading in stored:
        chart = charts.get(reading.tag)
        if chart is None:
            continue
        if not chart.settle((epoch(reading.timestamp), reading.timestamp)):
            unseen.append(reading)
        touched.add(chart)
    for chart in touched:
        chart.title_due = True
    return unseen


def settle_before(charts: dict[str, TagChart], moment: float) -> None:
    """Clear every not-stored mark up to `moment` (their commits were coalesced away)."""
    for chart in charts.values():
        for key in [key for key in chart.unstored if key[0] <= moment]:
            del chart.unstored[key]
        chart.unstored_overflow = 0
        chart.title_due = True


def add(charts: dict[str, TagChart], readings: list[Reading], unstored: bool) -> None:
    """Add readings to their charts' series (and, if not stored yet, to their marks)."""
    by_tag: dict[str, list[tuple[float, float, bool]]] = {}
    now = time.monotonic()
    for r in readings:
        chart = charts.get(r.tag)
        if chart is None:
            continue
        moment = epoch(r.timestamp)
        by_tag.setdefault(r.tag, []).append((moment, r.value, bool(r.is_anomaly)))
        if unstored:
            chart.add_unstored((moment, r.timestamp), r.value, now)
    for tag, points in by_tag.items():
        chart = charts[tag]
        if chart.series.add(points):
            chart.dirty = True
            chart.urgent = chart.urgent or any(point[2] for point in points)
        chart.title_due = True  # written on the next tick, in the same frame as the status


def set_spans(charts: dict[str, TagChart], spans: dict[str, list[Span]], redraw: bool) -> None:
    """Give each chart the spans of its tag's alarms: drawn at the next replot, or at once
    with `redraw` (the first load, which may land after the history was drawn)."""
    for tag, tag_spans in spans.items():
        chart = charts.get(tag)
        if chart is not None:
            chart.set_spans(tag_spans)
            if redraw and chart.last_view is not None:
                chart.replot(*chart.last_view)


def refresh_titles(
    charts: dict[str, TagChart], detectors: Mapping[str, Any], window: float
) -> dict[str, float]:
    """Titles that are due, and warm-up marks; each tag's newest value."""
    values = {}
    for name, chart in charts.items():
        if chart.title_due or chart.unstored or chart.unstored_overflow:  # wait may pass grace
            chart.title_due = False
            chart.update_title(window)
        latest = chart.series.latest
        if latest:
            values[name] = latest[1]
        detector = detectors.get(name)
        chart.set_warming(detector is not None and is_warming_up(detector))
    return values


def cursor_text(charts: dict[str, TagChart], cursor: float, compact: bool = False) -> str:
    """`12:00:05 UTC: fermenter_temp 37.1, ...`; compact: `12:00:05 37.1°C 7.05pH ...`."""
    values = []
    for chart in charts.values():
        value = chart.cursor_value
        shown = "–" if value is None else format_value((value[0] + value[1]) / 2)
        values.append(f"{shown}{chart.tag.unit}" if compact else f"{chart.tag.name} {shown}")
    if compact:
        return f"{clock_text(cursor)} " + " ".join(values)
    return f"{clock_text(cursor)} UTC: " + ", ".join(values)


def mark_selected(panels: list[Any], selected: int, window: float) -> None:
    """Mark the selected panel (tags' charts, then units'), retitle, and scroll it into view."""
    for i, panel in enumerate(panels):
        panel.set_class(i == selected, "-selected")
        if isinstance(panel.chart, TagChart):
            panel.chart.update_title(window)
        else:
            panel.chart.update_title()
        if i == selected:
            panel.scroll_visible()
