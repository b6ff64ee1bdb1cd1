"""The monitor over the central historian (`sensor-tui run --db postgresql://...`): the same
charts, navigation, alarm panel and export, read-only, one site at a time.

The app is given a `runtime.historian_view.HistorianView` instead of a `Monitor`; its readers go
through the `HistoryReader` protocol, so charts and alarms need nothing of their own here. What
is here: `S`, the site selector. The keys that would change something refuse with the view's
`read_only` reason where they act (the alarm pane; `monitor_actions` for the simulator and the
outage switch, with the texts below).

Why a site switch restarts the app rather than swapping the charts in place: every worker in
flight (a month of rollups, the alarm list) belongs to the site it was started for, and sites
often share tag names; a fresh app for the new site cannot mix the two. The window and the
moment in view are carried over, so the operator compares sites at the same time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from sensor_tui.runtime.historian_view import HistorianView
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


def pick_site(
    app: App[None], monitor: object, timeline: Timeline, chosen: Callable[[SiteChoice], None]
) -> None:
    """Show the historian's sites; another one chosen goes to `chosen` with the timeline (the
    app then exits and is reopened on it). A live monitor has one site, and says so."""
    if not isinstance(monitor, HistorianView):
        app.notify(ONE_SITE, severity="warning")
        return
    view = monitor

    def done(site: str | None) -> None:
        if site and site != view.site:
            timeline.cursor = None
            chosen(SiteChoice(site, timeline))

    def fetch() -> None:
        """Thread worker: the sites as the historian has them now (an edge may have started
        forwarding since), then the chooser."""
        sites = view.refresh_sites()
        app.call_from_thread(app.push_screen, SiteScreen(sites, view.site), done)

    app.run_worker(fetch, thread=True, group="sites", exclusive=True)
