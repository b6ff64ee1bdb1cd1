"""The monitor over the central historian (`sensor-tui run --db postgresql://...`): the same
charts, navigation, alarm panel and export, read-only, one site at a time.

The app is given a `runtime.historian_view.HistorianView` instead of a `Monitor`; its readers go
through the `HistoryReader` protocol, so charts and alarms need nothing of their own here. This
module adds `S`, the site selector. The keys that would change something are refused with what
the view cannot do: the simulator and the outage switch in `tui.monitor_actions`, acknowledging
and shelving by the alarm pane, before any dialog.

Why a site switch restarts the app rather than swapping the charts in place: every worker in
flight (a month of rollups, the alarm list) belongs to the site it was started for, and sites
often share tag names; a fresh app for the new site cannot mix the two. The window and the
moment in view are carried over, so the operator compares sites at the same time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from sensor_tui.runtime.historian_view import HistorianView
from sensor_tui.tui.timeline import Timeline

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


def choose_site(
    app: App[Any],
    monitor: object,
    timeline: Timeline,
    chosen: Callable[[SiteChoice], None],
) -> None:
    """`S`: pick another site of the historian; `chosen` gets it with the time the charts
    showed (the app then exits and `cli.run` reopens it on that site)."""
    if not isinstance(monitor, HistorianView):
        app.notify(ONE_SITE, severity="warning")
        return
    view = monitor

    def picked(site: str | None) -> None:
        if site and site != view.site:
            timeline.cursor = None
            chosen(SiteChoice(site, timeline))

    app.push_screen(SiteScreen(view.sites, view.site), picked)
