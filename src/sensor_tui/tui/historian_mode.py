"""The monitor over the central historian (`sensor-tui run --db postgresql://...`): the same
charts, navigation, alarm panel and export, read-only, one site at a time.

The app is given a `runtime.historian_view.HistorianView` instead of a `Monitor`; its readers go
through the `HistoryReader` protocol, so charts and alarms need nothing of their own here. This
mixin only answers the keys that would change something (fault injection, the simulator, the
outage switch) with what the view cannot do, and adds `S`, the site selector. Acknowledging and
shelving go to the alarm pane's command path, which the view refuses with its reason.

Why a site switch restarts the app rather than swapping the charts in place: every worker in
flight (a month of rollups, the alarm list) belongs to the site it was started for, and sites
often share tag names; a fresh app for the new site cannot mix the two. The window and the
moment in view are carried over, so the operator compares sites at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.tui.base import MonitorBase
from sensor_tui.tui.timeline import Timeline

NO_SIMULATOR = "The historian view has no simulator: its readings come from the edges' forwarders."
NO_OUTAGE = "The historian view writes nothing, so there is no database outage to simulate."
ONE_SITE = "This monitor has one site (its own file): `--db postgresql://...` shows a historian's."


@dataclass(frozen=True, slots=True)
class SiteChoice:
    """The site the operator chose (`cli.run` reopens the app on it), with the time
    the charts showed."""

    site: str
    timeline: Timeline


class SiteScreen(ModalScreen[str | None]):
    """The historian's sites; enter opens one, escape keeps the current."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, sites: list[str], current: str) -> None:
        super().__init__()
        self.sites = sites
        self.current = current

    def compose(self) -> ComposeResult:
        """The list of sites, the current one highlighted."""
        with Vertical(id="site-panel"):
            yield OptionList(*self.sites, id="site-list")
            yield Static("enter: show this site · escape: stay", id="site-hint")

    def on_mount(self) -> None:
        """Title the panel, put the cursor on the site shown now."""
        self.query_one("#site-panel").border_title = "Site"
        options = self.query_one(OptionList)
        options.highlighted = self.sites.index(self.current) if self.current in self.sites else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Answer with the site chosen."""
        self.dismiss(self.sites[event.option_index])

    def action_cancel(self) -> None:
        """Close without changing site."""
        self.dismiss(None)


class HistorianMode(MonitorBase):
    """Keys of the historian view: writes refused with a reason, `S` chooses the site. With a
    live monitor every key does what it always did."""

    site_choice: SiteChoice | None = None
    """Set when the operator chose another site; the app then exits and is reopened on it."""

    @property
    def historian(self) -> HistorianView | None:
        """The historian view shown, or None for a live monitor."""
        return self.monitor if isinstance(self.monitor, HistorianView) else None

    def action_choose_site(self) -> None:
        """Pick another site of the historian."""
        view = self.historian
        if view is None:
            self.notify(ONE_SITE, severity="warning")
            return
        self._pick_site(view)

    @work(thread=True, group="sites", exclusive=True)
    def _pick_site(self, view: HistorianView) -> None:
        """Thread worker: the sites as the historian has them now (an edge may have started
        forwarding since), then the chooser."""
        sites = view.refresh_sites()
        self.call_from_thread(self._choose_among, view, sites)

    def _choose_among(self, view: HistorianView, sites: list[str]) -> None:
        def chosen(site: str | None) -> None:
            if site and site != view.site:
                self.timeline.cursor = None
                self.site_choice = SiteChoice(site, self.timeline)
                self.exit()

        self.push_screen(SiteScreen(sites, view.site), chosen)

    # -- what the view cannot do ---------------------------------------------------------------

    def _refuse(self, text: str, title: str) -> bool:
        """True (and says why) when the view is a historian's."""
        if self.historian is None:
            return False
        self.notify(text, title=title, severity="warning", markup=False)
        return True

    def action_pause(self) -> None:
        """Pause or resume the simulator (none in the historian view)."""
        if not self._refuse(NO_SIMULATOR, "No simulator"):
            super().action_pause()  # type: ignore[misc]  # Actions, later in the app's bases

    def action_inject(self, kind: str) -> None:
        """Inject a fault (none in the historian view)."""
        if not self._refuse(NO_SIMULATOR, "No fault injection"):
            super().action_inject(kind)  # type: ignore[misc]

    def action_outage(self) -> None:
        """The simulated database outage (not in the historian view)."""
        if not self._refuse(NO_OUTAGE, "No outage switch"):
            super().action_outage()  # type: ignore[misc]
