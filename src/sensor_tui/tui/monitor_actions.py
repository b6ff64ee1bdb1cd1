"""What the app's own keys do to the monitor: the simulator (p, s d k n b) and the outage (o);
and what the app says when it stops.

These keys act on the `Monitor` the app runs, not on a widget, so the app binds them; their
work is here so app.py stays about composing the panes and the life cycle. Each function says
what happened through `notify` (the app's toasts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sensor_tui.pipeline.summary import dead_letter_lines, source_lines
from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor
from sensor_tui.tui.historian_mode import NO_OUTAGE, NO_SIMULATOR

Notify = Callable[..., Any]
"""`App.notify`: a toast."""

Monitored = Monitor | HistorianView
"""The live monitor, or the read-only view of a historian (no simulator, nothing to write)."""


def pause(monitor: Monitored, notify: Notify) -> None:
    """Pause or resume the simulator."""
    sim = monitor.simulator
    if sim is None:
        no_simulator(monitor, notify)
        return
    sim.pause(not sim.paused)
    notify("Simulator paused" if sim.paused else "Simulator running")


def inject(monitor: Monitored, notify: Notify, tag: str | None, kind: str) -> None:
    """Inject a fault of this kind on `tag` (None: a unit's chart is selected)."""
    sim = monitor.simulator
    if sim is None:
        no_simulator(monitor, notify)
        return
    if tag is None:
        notify("Select a tag's chart to inject a fault on it.", severity="warning")
        return
    event = sim.inject(tag, kind)
    later = " (starts when the simulator resumes)" if sim.paused else ""
    notify(
        f"{kind} on {tag}, {event.detail}{later}",
        title="Fault injected",
        markup=False,  # the tag is the user's text
    )


def no_simulator(monitor: Monitored, notify: Notify) -> None:
    """Say why there is nothing to pause or inject into, and what feeds the monitor instead."""
    if monitor.read_only is not None:
        notify(NO_SIMULATOR, title="No simulator", severity="warning", markup=False)
        return
    if monitor.sources:
        where = "readings come from the configured sources"
    elif monitor.http_url:
        where = "readings come only from HTTP"
    else:
        where = "and no --http or source: nothing feeds the monitor"
    notify(
        f"No simulator in this run (--no-sim, or imported data; --sim starts one): {where}.",
        severity="warning",
    )


def outage(monitor: Monitored, notify: Notify) -> None:
    """Switch the simulated database outage on or off."""
    if monitor.read_only is not None:
        notify(NO_OUTAGE, title="No outage switch", severity="warning", markup=False)
        return
    pipeline = monitor.pipeline
    on = not pipeline.outage_switch.on
    pipeline.set_outage(on)
    if on:
        notify(
            "Writes now fail: readings are charted (marked not stored yet), the retry queue "
            "grows, then readings go to the dead letter.",
            title="Database outage ON",
            severity="error",
        )
    else:
        notify("Writes succeed: retry queue and dead letter drain.", title="Outage OFF")


def stopped_summary(monitor: Monitored) -> str:
    """What the app prints when it has stopped: what was stored, rejected, dead-lettered."""
    if isinstance(monitor, HistorianView):  # a viewer: nothing to flush or count
        return f"sensor-tui: closed {monitor.options.db_path}"
    pipeline = monitor.pipeline
    snap, pending = pipeline.snapshot(), pipeline.dead_letter.pending()
    lines = [
        f"sensor-tui stopped: {snap.stored:,} stored, {snap.rejected_total:,} "
        f"rejected, {snap.dead_lettered:,} dead-lettered, {snap.anomalies_total:,} anomalies",
        *dead_letter_lines(
            snap.dead_lettered, pending, pipeline.dead_letter.path, pipeline.db_path
        ),
        *source_lines(snap.sources),
    ]
    return "\n".join(lines)
