"""Charts drawn by plotext: what one chart shows (`Trace`), its plotext figure, and the widget.

Why plotext's `build()` into a widget of ours and not `textual-plotext`'s `PlotextPlot`: both draw
with the same plotext figure (we use textual-plotext's `Plot`, a plotext figure of its own per
chart instead of plotext's global one), but `PlotextPlot.render()` rebuilds the figure and
re-parses its ANSI text on every repaint of the widget (a resize, a scroll of the chart grid, a
theme change), and it has no way to skip a rebuild whose picture did not change. `PlotView`
builds once when the chart is replotted, reads plotext's built matrix into strips once (not its
ANSI text, see `_built_rows`), and repaints from those strips; a rebuild whose rows equal the
last ones touches nothing on screen. Measured with
`python benchmarks/chart_build.py` (three charts of 600 readings at 120x40, CPU ms, on a busy
2-core machine): a data redraw 46-52 ms with `PlotextPlot` and 46-50 ms with `PlotView` (the
same plotext build), a repaint without new data 41-44 ms against 3.5-4 ms.

Before plotext sees them, points are binned (`binning.min_max_bins`): one bin a plot column, each
bin's low and high kept, so a one-reading spike is never lost and a month of rollups costs the
same build time as five minutes of readings. Everything else a chart shows is a plotext layer,
drawn bottom to top: alarm spans (a bar on the bottom row in the alarm kind's colour and a line
where each began), the limit lines, the cursor, the line, readings not stored yet (another
colour), anomalies (red ●), and ▲/▼ where a bin's values leave the y range. Tick labels are
chosen by `axes` on rows of their own and handed to plotext, so a limit line's row is labelled
with the limit. The unit is written in the corner under the y labels.

A `Trace` needs no tag: `limits` is a band's two values or a single limit, and `unit` may be
empty, so a statistic against its limit is drawn the same way (see `PlotView`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget
from textual_plotext import Plot

from sensor_tui.tui.axes import YScale, x_ticks, y_range
from sensor_tui.tui.binning import Binned, min_max_bins

RGB = tuple[int, int, int]
LINE: RGB = (80, 170, 255)
PENDING: RGB = (240, 200, 60)
BAND: RGB = (60, 140, 80)
ANOMALY: RGB = (255, 60, 60)
CLIPPED: RGB = (255, 140, 40)
AXIS: RGB = (130, 130, 130)
CURSOR: RGB = (230, 230, 230)
ANOMALY_MARK, HIGH_MARK, LOW_MARK, SPAN_MARK = "●", "▲", "▼", "▀"


def _empty() -> np.ndarray:
    return np.empty(0)


@dataclass(slots=True)
class Trace:
    """Everything one chart draws; arrays are numpy float64 (times in epoch seconds)."""

    since: float
    until: float
    limits: tuple[float, ...]
    """Horizontal limit lines, each on a row labelled with its value: a band's low and high,
    or one limit."""
    unit: str = ""
    times: np.ndarray = field(default_factory=_empty)
    lows: np.ndarray = field(default_factory=_empty)
    highs: np.ndarray = field(default_factory=_empty)
    anomaly_times: np.ndarray = field(default_factory=_empty)
    anomaly_values: np.ndarray = field(default_factory=_empty)
    pending_times: np.ndarray = field(default_factory=_empty)
    pending_values: np.ndarray = field(default_factory=_empty)
    cursor: float | None = None
    spans: list[tuple[float, float, RGB]] = field(default_factory=list)
    """Alarm spans (start, end, colour): a bar along the bottom row, a line where each began."""


@dataclass(slots=True)
class Layout:
    """Where things go in a chart of a given size: y range, ticks, plot columns."""

    lo: float
    hi: float
    ticks: list[tuple[float, str]]
    label_width: int
    columns: int
    axis_row: bool


def layout(trace: Trace, width: int, height: int) -> Layout:
    """The y range, its ticks and the plot area's columns for a chart `width` x `height`."""
    axis_row = height >= 5
    rows = max(height - 1 if axis_row else height, 1)
    lo, hi = y_range(trace.lows, trace.highs, trace.limits)
    ticks = YScale(lo, hi, rows).ticks(trace.limits)
    longest = max((len(label) for _, label in ticks), default=1)
    label_width = min(max(longest, len(trace.unit)), max(width // 4, 1)) + 1
    return Layout(lo, hi, ticks, label_width, max(width - label_width, 1), axis_row)


def new_figure() -> Plot:
    """A plotext figure of its own (not plotext's global one), set up once for every build:
    no frame, no theme colours (the widget's background shows), grey ticks, and the size we
    ask for even beyond the terminal's (plotext caps a figure at the terminal's size unless
    told not to, as its `limit_size` does for the global figure)."""
    figure = Plot()
    figure._limit_size(False, False)  # type: ignore[attr-defined]  # plotext: untyped, private
    figure.theme("clear")
    figure.frame(False)
    figure.ticks_color(AXIS)
    return figure


def build(figure: Plot, trace: Trace, width: int, height: int) -> list[list[Segment]]:
    """The chart as `height` rows of segments, `width` cells each, drawn by plotext."""
    width, height = max(width, 2), max(height, 1)
    shape = draw_layers(figure, trace, width, height)
    return _with_unit(_built_rows(figure)[:height], trace.unit, shape)


def _built_rows(figure: Plot) -> list[list[Segment]]:
    """plotext's built matrix of characters and colours, top row first, as segments.

    `figure.build()` would join the matrix into one ANSI string (cell by cell) that we would
    then parse back into segments: a fifth of a build spent on text that is never shown. The
    matrix is read directly instead (its markers and foreground colours; our figure has no
    backgrounds or styles), one segment per run of a colour, as the ANSI text would give.
    """
    figure._set_sizes()  # type: ignore[attr-defined]  # what `build()` does, without the string
    figure._build_matrix()  # type: ignore[attr-defined]  # plotext: untyped, private
    matrix = figure.monitor.matrix  # type: ignore[attr-defined]
    rows = []
    for markers, colours in zip(matrix.marker[::-1], matrix.fullground[::-1], strict=True):
        row, start = [], 0
        for colour, run in groupby(colours):
            end = start + sum(1 for _ in run)
            row.append(Segment("".join(markers[start:end]), _rgb_style(colour)))
            start = end
        rows.append(row)
    return rows


@lru_cache(maxsize=256)
def _rgb_style(colour: object) -> Style | None:
    """A plotext colour as a rich style: (r, g, b) tuples are ours; anything else is plotext's
    "default" (no colour: the widget's background and text colour show)."""
    if isinstance(colour, tuple) and len(colour) == 3:
        return Style(color=f"rgb({colour[0]},{colour[1]},{colour[2]})")
    return None


def draw_layers(figure: Plot, trace: Trace, width: int, height: int) -> Layout:
    """Hand plotext every layer of the chart (bottom to top) and its ticks; plotext builds."""
    shape = layout(trace, width, height)
    figure.clear_data()
    figure.plotsize(width, height)
    figure.xlim(trace.since, trace.until)
    figure.ylim(shape.lo, shape.hi)
    _draw_spans(figure, trace, shape.lo)
    for limit in trace.limits:
        if shape.lo <= limit <= shape.hi:
            figure.hline(limit, BAND)
    if trace.cursor is not None and trace.since <= trace.cursor <= trace.until:
        figure.vline(trace.cursor, CURSOR)
    line = min_max_bins(
        trace.times, trace.lows, trace.highs, trace.since, trace.until, shape.columns
    )
    _draw_runs(figure, line, LINE)
    pending = min_max_bins(
        trace.pending_times,
        trace.pending_values,
        trace.pending_values,
        trace.since,
        trace.until,
        shape.columns,
    )
    _draw_runs(figure, pending, PENDING)
    _draw_marks(figure, trace, line, shape)
    _set_ticks(figure, trace, shape)
    return shape


def _draw_spans(figure: Plot, trace: Trace, bottom: float) -> None:
    for start, stop, colour in trace.spans:
        if stop < trace.since or start > trace.until:
            continue
        first, last = max(start, trace.since), min(max(stop, start + 1), trace.until)
        figure.plot([first, last], [bottom, bottom], marker=SPAN_MARK, color=colour)
        if start >= trace.since:
            figure.vline(start, colour)


def _draw_runs(figure: Plot, binned: Binned, colour: RGB) -> None:
    for times, values in binned.runs:
        figure.plot(times.tolist(), values.tolist(), marker="braille", color=colour)


def _draw_marks(figure: Plot, trace: Trace, line: Binned, shape: Layout) -> None:
    """Anomalies as red dots (held inside the y range), ▲/▼ where a bin leaves the range."""
    keep = (trace.anomaly_times >= trace.since) & (trace.anomaly_times <= trace.until)
    if keep.any():
        values = np.clip(trace.anomaly_values[keep], shape.lo, shape.hi)
        figure.scatter(
            trace.anomaly_times[keep].tolist(), values.tolist(), marker=ANOMALY_MARK, color=ANOMALY
        )
    for over, edge, mark in (
        (line.highs > shape.hi, shape.hi, HIGH_MARK),
        (line.lows < shape.lo, shape.lo, LOW_MARK),
    ):
        if over.any():
            times = line.centres[over].tolist()
            figure.scatter(times, [edge] * len(times), marker=mark, color=CLIPPED)


def _set_ticks(figure: Plot, trace: Trace, shape: Layout) -> None:
    """Our ticks, right-aligned to one width; x labels only where they fit whole."""
    size = shape.label_width - 1
    figure.yticks(
        [value for value, _ in shape.ticks],
        [f"{label[:size]:>{size}} " for _, label in shape.ticks],
    )
    moments, labels = [], []
    if shape.axis_row:
        span = max(trace.until - trace.since, 1e-9)
        for moment, label in x_ticks(trace.since, trace.until, shape.columns):
            centre = (moment - trace.since) / span * shape.columns
            if len(label) / 2 <= centre <= shape.columns - len(label) / 2 - 1:
                moments.append(float(moment))
                labels.append(label)
    figure.xticks(moments, labels)


def _with_unit(rows: list[list[Segment]], unit: str, shape: Layout) -> list[list[Segment]]:
    """Write the unit into the axis row's corner, under the y labels (blank there)."""
    corner = shape.label_width
    if not (unit and shape.axis_row and len(rows) > 1):
        return rows
    axis = rows[-1]
    head = "".join(segment.text for segment in axis)[:corner]
    if head.strip() or len(head) < corner:
        return rows
    tail = list(Segment.divide(axis, [corner, Segment.get_line_length(axis)]))[1]
    rows[-1] = [Segment(unit[: corner - 1].ljust(corner), _rgb_style(AXIS)), *tail]
    return rows


def as_text(rows: list[list[Segment]]) -> list[Text]:
    """Rows of segments as rich `Text` (to read a chart's characters and colours)."""
    return [
        Text.assemble(*((s.text, s.style or "") for s in row), no_wrap=True, end="") for row in rows
    ]


class PlotView(Widget):
    """A widget showing one `Trace`, built by plotext when `draw` is called.

    A tag chart is one (`chart.TagChart`); any other series with limits (a statistic against
    its limit: `Trace(since, until, limits=(limit,), times=..., lows=v, highs=v)`) is drawn by
    calling `draw` on a plain `PlotView`. The built text is kept, so a repaint costs no build,
    and a build whose text did not change does not repaint.
    """

    number = 0
    """The chart's number on screen (what its panel's click selects)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._figure = new_figure()
        self._rows: list[list[Segment]] | None = None
        self._strips: list[Strip] = []

    def draw(self, trace: Trace) -> None:
        """Build the chart at the widget's size; refresh only when its text changed."""
        width, height = self.size.width, self.size.height
        if width <= 0 or height <= 0:
            return
        rows = build(self._figure, trace, width, height)
        if rows == self._rows:
            return
        self._rows = rows
        self._strips = [Strip(row).adjust_cell_length(width) for row in rows]
        self.refresh()

    @property
    def built(self) -> Text:
        """The chart on screen as one rich `Text` (its characters and colours)."""
        return Text("\n", end="").join(as_text(self._rows or []))

    def render_line(self, y: int) -> Strip:
        """One prepared row (blank outside the drawing)."""
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)
