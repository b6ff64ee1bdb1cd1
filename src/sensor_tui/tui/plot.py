"""A braille line chart drawn straight to text rows: no plotting library in the redraw path.

Why not plotext: drawing three charts took about 50 ms a redraw and it decided where labels go,
so band lines sat on rows labelled with other values (issue 12). Here a chart is a few numpy
operations and one pass over its cells (about a millisecond), and every label is put on the row
its value is drawn on.

A `Trace` is what one chart shows over (since, until]: a line as per-point (time, low, high) (raw
readings have low == high; rollups give each bucket's min and max), the anomalies, readings not
stored yet, the band and the cursor. `render` turns it into rows of rich `Segment`s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from rich.segment import Segment
from rich.style import Style

from sensor_tui.tui.axes import YScale, x_ticks, y_range

LINE = Style(color="rgb(80,170,255)")
PENDING = Style(color="rgb(240,200,60)")
BAND = Style(color="rgb(60,140,80)")
ANOMALY = Style(color="rgb(255,60,60)", bold=True)
CLIPPED = Style(color="rgb(255,140,40)", bold=True)
AXIS = Style(color="rgb(130,130,130)")
CURSOR = Style(color="rgb(230,230,230)", reverse=True)
BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.int64)
MAX_GAP = 0.05
"""A gap in time longer than this share of the window is left open: missing data stays visible."""


def _empty() -> np.ndarray:
    return np.empty(0)


@dataclass(slots=True)
class Trace:
    """Everything one chart draws; arrays are numpy float64 (times in epoch seconds)."""

    since: float
    until: float
    band: tuple[float, float]
    unit: str = ""
    times: np.ndarray = field(default_factory=_empty)
    lows: np.ndarray = field(default_factory=_empty)
    highs: np.ndarray = field(default_factory=_empty)
    anomaly_times: np.ndarray = field(default_factory=_empty)
    anomaly_values: np.ndarray = field(default_factory=_empty)
    pending_times: np.ndarray = field(default_factory=_empty)
    pending_values: np.ndarray = field(default_factory=_empty)
    cursor: float | None = None
    spans: list[tuple[float, float, tuple[int, int, int]]] = field(default_factory=list)
    """Alarm spans (start, end, colour): a bar along the bottom row, a line where each began."""


def render(trace: Trace, width: int, height: int) -> list[list[Segment]]:
    """Rows of segments exactly `width` cells wide, `height` rows tall."""
    width, height = max(width, 1), max(height, 1)
    axis_row = height >= 5
    rows = height - 1 if axis_row else height
    scale = YScale(*y_range(trace.lows, trace.highs, trace.band), rows)
    labels = scale.ticks(trace.band)
    label_width = min(max((len(t) for t in labels.values()), default=1), max(width // 4, 1))
    plot_width = max(width - label_width - 1, 1)
    grid = _Grid(trace, scale, plot_width)
    lines = []
    band_rows = {scale.row(v) for v in trace.band if scale.lo <= v <= scale.hi}
    for r in range(rows):
        label = labels.get(r, "")[:label_width].rjust(label_width)
        tick = "┤" if r in labels else "│"
        lines.append([Segment(label, AXIS), Segment(tick, AXIS), *grid.row(r, r in band_rows)])
    if axis_row:
        lines.append(_x_axis(trace, label_width, plot_width))
    return lines


class _Grid:
    """The braille dots of the line, then the cells' characters and styles."""

    def __init__(self, trace: Trace, scale: YScale, columns: int) -> None:
        self.trace, self.scale, self.columns = trace, scale, columns
        self.dots = np.zeros((scale.dots, 2 * columns), dtype=bool)
        span = max(trace.until - trace.since, 1e-9)
        self.per_dot = 2 * columns / span
        self.clip_high = np.zeros(columns, dtype=bool)
        self.clip_low = np.zeros(columns, dtype=bool)
        self._draw_line(trace.times, trace.lows, trace.highs, span)
        self.pending = self._cells(trace.pending_times)
        self._draw_line(trace.pending_times, trace.pending_values, trace.pending_values, span)
        self.anomalies = self._cells(trace.anomaly_times, trace.anomaly_values)
        self.span_cells = self._span_cells(trace.spans)
        self.cursor = -1
        if trace.cursor is not None and trace.since <= trace.cursor <= trace.until:
            self.cursor = min(int((trace.cursor - trace.since) * self.per_dot) // 2, columns - 1)
        weights = self.dots.reshape(scale.rows, 4, columns, 2) * BRAILLE_BITS[None, :, None, :]
        self.codes = weights.sum(axis=(1, 3))

    def _span_cells(
        self, spans: list[tuple[float, float, tuple[int, int, int]]]
    ) -> dict[int, tuple[Style, bool]]:
        """Column -> (style, is the span's first column) for each alarm span in view."""
        cells: dict[int, tuple[Style, bool]] = {}
        since, until = self.trace.since, self.trace.until
        for start, stop, (r, g, b) in spans:
            if stop < since or start > until:
                continue
            style = Style(color=f"rgb({r},{g},{b})")
            first = int((max(start, since) - since) * self.per_dot) // 2
            last = int((min(max(stop, start + 1), until) - since) * self.per_dot) // 2
            for c in range(max(first, 0), min(last, self.columns - 1) + 1):
                cells.setdefault(c, (style, c == first and start >= since))
        return cells

    def _columns_of(self, times: np.ndarray) -> np.ndarray:
        return np.clip(((times - self.trace.since) * self.per_dot).astype(np.int64), 0, None)

    def _cells(
        self, times: np.ndarray, values: np.ndarray | None = None
    ) -> dict[tuple[int, int], bool]:
        """Cells (row, column) holding these points; row -1 means every row of the column."""
        if not len(times):
            return {}
        cols = np.minimum(self._columns_of(times) // 2, self.columns - 1)
        if values is None:
            return {(-1, int(c)): True for c in np.unique(cols)}
        rows = self.scale.dots_of(values) // 4
        return {(int(r), int(c)): True for r, c in zip(rows, cols, strict=True)}

    def _draw_line(
        self, times: np.ndarray, lows: np.ndarray, highs: np.ndarray, span: float
    ) -> None:
        """Each dot column spans its points' min..max, joined to the previous column."""
        keep = (times >= self.trace.since) & (times <= self.trace.until)
        times, lows, highs = times[keep], lows[keep], highs[keep]
        if not len(times):
            return
        cols = np.minimum(self._columns_of(times), 2 * self.columns - 1)
        starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
        used = cols[starts]
        top = self.scale.dots_of(np.maximum.reduceat(highs, starts))
        bottom = self.scale.dots_of(np.minimum.reduceat(lows, starts))
        first = self.scale.dots_of((lows[starts] + highs[starts]) / 2)
        ends = np.r_[starts[1:], len(times)] - 1
        last = self.scale.dots_of((lows[ends] + highs[ends]) / 2)
        self._mark_clipped(used, np.maximum.reduceat(highs, starts), "high")
        self._mark_clipped(used, np.minimum.reduceat(lows, starts), "low")
        gap = max(MAX_GAP * span * self.per_dot, 2)
        previous_col, previous_dot = -(10**9), 0
        for col, t, b, f, l in zip(used, top, bottom, first, last, strict=True):  # noqa: E741
            self.dots[t : b + 1, col] = True
            if 0 < col - previous_col <= gap:
                self._join(previous_col, previous_dot, int(col), int(f))
            previous_col, previous_dot = int(col), int(l)

    def _join(self, c0: int, d0: int, c1: int, d1: int) -> None:
        """A straight run of dots from (c0, d0) to (c1, d1), so the line has no holes."""
        steps = c1 - c0
        for i in range(1, steps + 1):
            a = d0 + (d1 - d0) * (i - 1) / steps
            b = d0 + (d1 - d0) * i / steps
            lo, hi = sorted((round(a), round(b)))
            self.dots[lo : hi + 1, c0 + i if i < steps else c1] = True

    def _mark_clipped(self, cols: np.ndarray, values: np.ndarray, side: str) -> None:
        over = values > self.scale.hi if side == "high" else values < self.scale.lo
        target = self.clip_high if side == "high" else self.clip_low
        target[np.minimum(cols[over] // 2, self.columns - 1)] = True

    def row(self, r: int, band: bool) -> list[Segment]:
        """One text row of the plot area, consecutive cells of one style merged."""
        out: list[Segment] = []
        text: list[str] = []
        style: Style | None = None
        last_row = self.scale.rows - 1
        for c in range(self.columns):
            char, cell_style = self._cell(r, c, band, last_row)
            if cell_style is not style and text:
                out.append(Segment("".join(text), style))
                text = []
            style = cell_style
            text.append(char)
        if text:
            out.append(Segment("".join(text), style))
        return out

    def _cell(self, r: int, c: int, band: bool, last_row: int) -> tuple[str, Style | None]:
        if r == 0 and self.clip_high[c]:
            return "▲", CLIPPED
        if r == last_row and self.clip_low[c]:
            return "▼", CLIPPED
        if (r, c) in self.anomalies:
            return "●", ANOMALY
        code = int(self.codes[r, c])
        if c == self.cursor:
            return (chr(0x2800 + code) if code else "│"), CURSOR
        if code:
            return chr(0x2800 + code), PENDING if (-1, c) in self.pending else LINE
        if c in self.span_cells:
            style, first = self.span_cells[c]
            if r == last_row:
                return "▀", style
            if first:
                return "│", style
        return ("┈", BAND) if band else (" ", None)


def _x_axis(trace: Trace, label_width: int, columns: int) -> list[Segment]:
    """Clock-time labels centred under their ticks; the unit in the corner under the y labels."""
    cells = [" "] * columns
    span = max(trace.until - trace.since, 1e-9)
    for moment, label in x_ticks(trace.since, trace.until, columns):
        centre = int((moment - trace.since) / span * columns)
        start = min(max(centre - len(label) // 2, 0), columns - len(label))
        if start < 0 or any(ch != " " for ch in cells[max(start - 1, 0) : start + len(label) + 1]):
            continue
        cells[start : start + len(label)] = label
    unit = trace.unit[: label_width + 1].ljust(label_width + 1)
    return [Segment(unit, AXIS), Segment("".join(cells), AXIS)]


def clock(epoch: float, with_date: bool = True) -> str:
    """A moment as the status line and titles show it (UTC, like the database)."""
    return time.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S", time.gmtime(epoch))
