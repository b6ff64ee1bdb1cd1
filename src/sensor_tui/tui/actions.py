"""The monitor's simulator, outage and layout actions (keys p, s d k n, o, e, ?).

A mixin of `SensorApp`, so app.py stays about the app's life cycle.
"""

from __future__ import annotations

from sensor_tui.tui.base import MonitorBase
from sensor_tui.tui.chart import ChartGrid
from sensor_tui.tui.help import HelpScreen


class Actions(MonitorBase):
    """Key actions that act on the simulator, the pipeline or the layout."""

    def action_pause(self) -> None:
        """Pause or resume the simulator."""
        sim = self.monitor.simulator
        if sim is None:
            self._no_simulator()
            return
        sim.pause(not sim.paused)
        self.notify("Simulator paused" if sim.paused else "Simulator running")
        self.refresh_status()

    def action_inject(self, kind: str) -> None:
        """Inject a fault of this kind on the selected tag."""
        sim = self.monitor.simulator
        if sim is None:
            self._no_simulator()
            return
        if self.selected_unit is not None:
            self.notify("Select a tag's chart to inject a fault on it.", severity="warning")
            return
        event = sim.inject(self.selected_tag, kind)
        later = " (starts when the simulator resumes)" if sim.paused else ""
        self.notify(
            f"{kind} on {self.selected_tag}, {event.detail}{later}",
            title="Fault injected",
            markup=False,  # the tag is the user's text
        )

    def _no_simulator(self) -> None:
        if self.monitor.sources:
            where = "readings come from the configured sources"
        elif self.monitor.http_url:
            where = "readings come only from HTTP"
        else:
            where = "and no --http or source: nothing feeds the monitor"
        self.notify(
            f"No simulator in this run (--no-sim, or imported data; --sim starts one): {where}.",
            severity="warning",
        )

    def action_outage(self) -> None:
        """Switch the simulated database outage on or off."""
        pipeline = self.monitor.pipeline
        on = not pipeline.outage_switch.on
        pipeline.set_outage(on)
        if on:
            self.notify(
                "Writes now fail: readings are charted (marked not stored yet), the retry queue "
                "grows, then readings go to the dead letter.",
                title="Database outage ON",
                severity="error",
            )
        else:
            self.notify("Writes succeed: retry queue and dead letter drain.", title="Outage OFF")
        self.refresh_status()

    def action_expand(self) -> None:
        """Show the selected chart alone, or all charts again."""
        self.expanded = not self.expanded

    def watch_expanded(self, expanded: bool) -> None:
        """Toggle the layout class; charts redraw themselves at their new size. Back from the
        expanded chart, the table shown takes the keys again (hiding it had taken its focus,
        so ↓/↑ went nowhere and `a` acted on a dimmed row)."""
        self.screen.set_class(expanded, "-expanded")
        self.call_after_refresh(self.query_one(ChartGrid).arrange_charts)  # after display changes
        if not expanded:
            self.call_after_refresh(self._focus_table)

    def _focus_table(self) -> None:
        table = "#anomalies" if self.screen.has_class("-readings") else "#alarms"
        self.query_one(table).focus()

    def action_help(self) -> None:
        """Show keys and panels."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
