"""The bordered box a chart sits in, shared by the tags' charts and the units' health charts.

Its titles change every second (the newest value, the counts), so how they are written decides
much of the monitor's steady CPU: see `PlotPanel.set_titles`.
"""

from __future__ import annotations

from typing import Self

from textual import events
from textual.app import ComposeResult
from textual.containers import Container
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget

from sensor_tui.tui.plot import PlotView


class PlotPanel(Container):
    """The bordered box around one chart (a tag's or a unit's): its titles, its selection mark;
    a click selects it (each kind of panel says so with its own `Selected` message).

    The titles change every second (the newest value, the counts). Setting a border title
    repaints the whole box, and the compositor then redraws every row of it; `set_titles`
    repaints only the border row whose text changed, so a new value costs one screen row.
    """

    class Selected(Message):
        """The operator clicked this chart (redefined by each panel, for its handler's name)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, chart: PlotView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.chart = chart
        self._titles: tuple[str, str] = ("", "")
        self._dirty_rows: tuple[Region, ...] = ()

    def compose(self) -> ComposeResult:
        """Just the plot."""
        yield self.chart

    def on_click(self, _: events.Click) -> None:
        """Select this chart."""
        self.post_message(self.Selected(self.chart.number - 1))

    def set_titles(self, title: str, subtitle: str) -> None:
        """Write the border's title and subtitle, repainting only the rows that changed."""
        old_title, old_subtitle = self._titles
        self._titles = (title, subtitle)
        width, height = self.outer_size
        left, top = self.content_offset
        if title != old_title:
            self._dirty_rows = (Region(-left, -top, width, 1),) if width and height else ()
            self.border_title = title
        if subtitle != old_subtitle:
            bottom = height - 1 - top
            self._dirty_rows = (Region(-left, bottom, width, 1),) if width and height else ()
            self.border_subtitle = subtitle
        self._dirty_rows = ()

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        """A refresh asked for by a title change repaints that title's row alone (rows are in
        content coordinates, as `Widget.refresh` takes them); any other refresh is whole."""
        if self._dirty_rows and not regions and repaint and not (layout or recompose):
            regions = self._dirty_rows
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


def panel_selected(chart: Widget) -> bool:
    """The chart's panel is the selected one."""
    parent = chart.parent
    return isinstance(parent, PlotPanel) and parent.has_class("-selected")


def show_titles(chart: Widget, title: str, subtitle: str) -> None:
    """Write a chart's titles on its panel (on the chart itself when it has none)."""
    parent = chart.parent
    if isinstance(parent, PlotPanel):
        parent.set_titles(title, subtitle)
    else:
        chart.border_title, chart.border_subtitle = title, subtitle
