"""Benchmark: three charts drawn by textual-plotext's `PlotextPlot` against our `PlotView`.

Both draw the same plotext figure (the same layers, from `tui.plot.draw_layers`), three charts
of 600 readings stacked in a real Textual app at 120x40, and differ in what a redraw costs:

- data changed: the figure is rebuilt and repainted (both approaches: one plotext build each);
- repaint only (a scroll of the chart grid, a resize back to the same size, a parent's repaint
  that reaches the charts): `PlotextPlot.render()` builds the figure again, `PlotView` repaints
  the strips it kept.

Prints process CPU milliseconds per redraw of all three charts (median of --rounds), each
approach beside the other, measured in the same run.

    python benchmarks/chart_build.py --rounds 30
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual_plotext import PlotextPlot

from sensor_tui.tui.plot import PlotView, Trace, draw_layers

T0 = 1_700_000_000.0
BANDS = ((35.0, 40.0), (6.5, 7.5), (300.0, 600.0))


def trace(index: int, shift: float) -> Trace:
    """600 readings of one tag (the live 5m view at two a second), moved by `shift` seconds."""
    times = T0 + shift + np.arange(600.0) / 2
    low, high = BANDS[index]
    values = (low + high) / 2 + np.sin(times / 20) * (high - low) / 3
    return Trace(T0 + shift, T0 + shift + 300, BANDS[index], "u", times, values, values)


class Charts(App[None]):
    """Three charts of one kind, stacked."""

    CSS = "Screen { layout: vertical; } .chart { height: 1fr; }"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        for i in range(3):
            yield (PlotextPlot if self.kind == "plotext" else PlotView)(id=f"c{i}", classes="chart")


def redraw(app: Charts, shift: float) -> None:
    """New data on every chart, the way each approach takes it."""
    for i in range(3):
        widget: Widget = app.query_one(f"#c{i}")
        if isinstance(widget, PlotextPlot):
            draw_layers(widget.plt, trace(i, shift), widget.size.width, widget.size.height)
            widget.refresh()
        elif isinstance(widget, PlotView):
            widget.draw(trace(i, shift))


async def measure(kind: str, rounds: int) -> tuple[float, float]:
    """(ms per data redraw, ms per repaint-only) of three charts, CPU time, medians."""
    app = Charts(kind)
    data, repaint = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for k in range(rounds):
            started = time.process_time()
            redraw(app, float(k))
            await pilot.pause()
            data.append(1000 * (time.process_time() - started))
            started = time.process_time()
            for widget in app.query(".chart"):
                widget.refresh()
            await pilot.pause()
            repaint.append(1000 * (time.process_time() - started))
        baseline = []
        for _ in range(rounds):
            started = time.process_time()
            await pilot.pause()
            baseline.append(1000 * (time.process_time() - started))
    idle = statistics.median(baseline)
    return statistics.median(data) - idle, statistics.median(repaint) - idle


def main() -> None:
    """Measure both approaches and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    for kind in ("plotext", "ours", "plotext", "ours"):  # alternated: a busy machine drifts
        data, repaint = asyncio.run(measure(kind, args.rounds))
        name = "PlotextPlot" if kind == "plotext" else "PlotView   "
        print(f"{name}: {data:6.1f} ms a data redraw, {repaint:6.1f} ms a repaint (3 charts)")


if __name__ == "__main__":
    main()
