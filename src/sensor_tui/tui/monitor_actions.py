"""What the app's own keys do to the monitor: the simulator (p, s d k n b) and the outage (o);
and what the app says when it stops.

These keys act on the `Monitor` the app runs, not on a widget, so the app binds them; their
work is here so app.py stays about composing the panes and the life cycle. Each function says
what happened through `notify` (the app's toasts). Over the historian (a `HistorianView`, which
changes nothing) they are refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sensor_tui.pipeline.summary import dead_letter_lines, source_lines
from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.runtime.monitor import Monitor

Notify = Callable[..., Any]
"""`App.notify`: a toast."""

NO_SIMULATOR = "The historian view has no simulator: its readings come from the edges' forwarders."
NO_OUTAGE = "The historian view writes nothing, so there is no database outage to simulate."


def refused(monitor: Monitor | HistorianView, notify: Notify, text: str, title: str) -> bool:
    """True (and says why) when the monitor is the historian's read-only view."""
    if not isinstance(monitor, HistorianView):
        return False
    notify(text, title=title, severity="warning", markup=False)
    return True


def pause(monitor: Monitor | HistorianView, notify: Notify) -> None:
    """Pause or resume the simulator."""
    if refused(monitor, notify, NO_SIMULATOR, "No simulator"):
        return
    sim = monitor.simulator
    if sim is None:
        no_simulator(monitor, notify)
        return
    sim.pause(not sim.paused)
    notify("Simulator paused" if sim.paused else "Simulator running")


def inject(monitor: Monitor | HistorianView, notify: Notify, tag: str | None, kind: str) -> None:
    """Inject a fault of this kind on `tag` (None: a unit's chart is selected)."""
    if refused(monitor, notify, NO_SIMULATOR, "No fault injection"):
        return
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


def no_simulator(monitor: Monitor | HistorianView, notify: Notify) -> None:
    """Say why there is nothing to pause or inject into, and what feeds the monitor instead."""
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


def outage(monitor: Monitor | HistorianView, notify: Notify) -> None:
    """Switch the simulated database outage on or off."""
    if refused(monitor, notify, NO_OUTAGE, "No outage switch"):
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


def stopped_summary(monitor: Monitor | HistorianView) -> str:
    """What the app prints when it has stopped: what was stored, rejected, dead-lettered."""
    if isinstance(monitor, HistorianView):  # nothing to flush or count
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
