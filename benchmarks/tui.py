"""Benchmark of the terminal monitor (issue 3).

Prints:
1. Steady CPU (% of one core) and peak memory of the real app (`sensor-tui run`) in a
   pseudo-terminal for --seconds at the default 1 Hz with the three built-in tags, against the
   headless monitor (same pipeline and simulator, no UI) run the same way: the UI's own cost.
2. Time to draw all three charts once with 600 points each (replot + render, median of many),
   against the same drawing without min/max downsampling (plotext fed every point).
3. Peak memory with 24 hours of data at 1 Hz: a day of readings (3 x 86,400) is stored through
   the pipeline first, the app is started on it in a pty and widened to the 24h window (+ four
   times), which reads the whole day from SQLite into the charts.

    python benchmarks/tui.py               # 60 s runs (about 3 minutes in all)
    python benchmarks/tui.py --seconds 15  # short variant
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import select
import shutil
import statistics
import struct
import sys
import tempfile
import termios
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")
COLUMNS, ROWS = 160, 45


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kb(pid: int, field: str = "VmHWM") -> int:
    """Peak (VmHWM) or current (VmRSS) resident memory of a process, in kB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_in_pty(
    argv: list[str], seconds: float, warmup: float, keys: list[tuple[float, bytes]] = ()
) -> dict[str, Any]:
    """Run a command in a pseudo-terminal, draining its output; sample CPU once a second.

    Returns the median and mean CPU % over 5-second windows after `warmup`, peak RSS, the exit
    code and the last output (to check what the screen showed).
    """
    pid, master = pty.fork()
    if pid == 0:  # child
        os.environ["TERM"] = "xterm-256color"
        os.environ["COLUMNS"], os.environ["LINES"] = str(COLUMNS), str(ROWS)
        os.execvp(argv[0], argv)
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    start = time.monotonic()
    samples: list[tuple[float, int]] = []
    pending = sorted(keys)
    peak = 0
    screen = b""
    next_sample = start + warmup
    status = None
    while status is None:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            with contextlib.suppress(OSError):
                screen = (screen + os.read(master, 65536))[-200_000:]
        now = time.monotonic()
        while pending and now - start >= pending[0][0]:
            os.write(master, pending.pop(0)[1])
        if now >= next_sample and now - start <= seconds + warmup:
            try:
                samples.append((now, cpu_ticks(pid)))
                peak = rss_kb(pid)
            except OSError:
                pass
            next_sample += 1.0
        finished, status_code, usage = os.wait4(pid, os.WNOHANG)
        if finished:
            status = status_code
            peak = max(peak, usage.ru_maxrss)
    os.close(master)
    windows = []
    for i in range(0, len(samples) - 5, 5):
        (t0, c0), (t1, c1) = samples[i], samples[i + 5]
        windows.append(100.0 * (c1 - c0) / CLK_TCK / (t1 - t0))
    (t0, c0), (t1, c1) = samples[0], samples[-1]
    return {
        "cpu_median": statistics.median(windows) if windows else float("nan"),
        "cpu_mean": 100.0 * (c1 - c0) / CLK_TCK / max(t1 - t0, 1e-9),
        "peak_mb": peak / 1024,
        "exit": os.waitstatus_to_exitcode(status),
        "screen": screen,
    }


def sensor_tui() -> str:
    """The installed console script next to this interpreter."""
    return shutil.which("sensor-tui", path=str(Path(sys.executable).parent)) or "sensor-tui"


def fill(db: Path, seconds: int, end: datetime) -> float:
    """Store `seconds` readings per built-in tag ending at `end` through the pipeline."""
    from sensor_tui.pipeline import Pipeline
    from sensor_tui.sources.simulator import generate_scenario
    from sensor_tui.tags import load_config

    config = load_config(None)
    started = time.perf_counter()
    readings, _ = generate_scenario(
        config, seed=11, readings_per_tag=seconds, start=end - timedelta(seconds=seconds)
    )
    pipeline = Pipeline(config, db)
    pipeline.start()
    for i in range(0, len(readings), 50_000):
        pipeline.submit_readings(readings[i : i + 50_000])
    pipeline.flush(300)
    pipeline.stop()
    return time.perf_counter() - started


def draw_times(db: Path, end: float, repeats: int) -> tuple[float, float, int, int]:
    """Median ms to replot+render all charts with 600 points each, with and without
    downsampling; also the points plotted per chart in each case."""
    from sensor_tui.runner import Monitor, MonitorOptions
    from sensor_tui.tags import load_config
    from sensor_tui.tui import chart as chart_module
    from sensor_tui.tui.app import make_app
    from sensor_tui.tui.chart import TagChart

    monitor = Monitor(load_config(None), MonitorOptions(db_path=db, simulate=False))
    app = make_app(monitor, clock=lambda: end, live=False)
    result: dict[str, tuple[float, int]] = {}

    async def measure() -> None:
        async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("plus")  # 15m window: all 600 points in view
            await app.workers.wait_for_complete()
            await pilot.pause()
            charts = list(app.query(TagChart))
            assert all(len(c.series) >= 600 for c in charts), [len(c.series) for c in charts]
            for label in ("downsampled", "every point"):
                if label == "every point":
                    chart_module.downsample = lambda t, v, n: (list(t), list(v))
                timings = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    for chart in charts:
                        chart.replot(end, app.window)
                        chart.render()
                    timings.append(time.perf_counter() - started)
                result[label] = (1000 * statistics.median(timings), charts[0].plotted_points)

    original = chart_module.downsample
    try:
        asyncio.run(measure())
    finally:
        chart_module.downsample = original
    fast, slow = result["downsampled"], result["every point"]
    return fast[0], slow[0], fast[1], slow[1]


def main() -> None:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each pty run")
    parser.add_argument("--warmup", type=float, default=5.0, help="start-up excluded from CPU")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sensor-tui-bench-"))
    print(f"sensor-tui TUI benchmark: {args.seconds:g} s runs in a {COLUMNS}x{ROWS} pty")

    base = [sensor_tui(), "run", "--seed", "1", "--interval", "1.0"]
    length = str(args.seconds + args.warmup)
    ui = run_in_pty(
        [*base, "--db", str(work / "ui.db"), "--duration", length], args.seconds, args.warmup
    )
    headless = run_in_pty(
        [*base, "--db", str(work / "hl.db"), "--duration", length, "--headless"],
        args.seconds,
        args.warmup,
    )
    print(
        f"app at 1 Hz, 3 charts:   CPU {ui['cpu_median']:.2f}% of one core (median of 5 s"
        f" windows; mean {ui['cpu_mean']:.2f}%), peak RSS {ui['peak_mb']:.1f} MB, exit {ui['exit']}"
    )
    print(
        f"headless baseline:       CPU {headless['cpu_median']:.2f}% (mean"
        f" {headless['cpu_mean']:.2f}%), peak RSS {headless['peak_mb']:.1f} MB;"
        f" UI cost {ui['cpu_median'] - headless['cpu_median']:+.2f} points of CPU"
    )

    now = datetime.now(UTC).replace(microsecond=0)
    db600 = work / "draw.db"
    fill(db600, 600, now)
    fast, slow, n_fast, n_slow = draw_times(db600, now.timestamp(), repeats=30)
    print(
        f"draw all 3 charts, 600 points each: {fast:.1f} ms downsampled ({n_fast} points/chart)"
        f" vs {slow:.1f} ms every point ({n_slow}/chart): {slow / fast:.1f}x faster"
    )

    day = work / "day.db"
    took = fill(day, 86_400, now)
    size = day.stat().st_size / 2**20
    widen = [(args.warmup + 1.0 + 0.5 * i, b"+") for i in range(4)]
    day_run = run_in_pty(
        [*base, "--db", str(day), "--duration", str(max(20.0, args.seconds / 3))],
        max(20.0, args.seconds / 3),
        args.warmup,
        keys=widen,
    )
    shown = "24h window shown" if b"24h" in day_run["screen"] else "24h window NOT shown"
    print(
        f"24 h at 1 Hz (3 x 86,400 readings, {size:.0f} MB db, stored in {took:.0f} s), app on"
        f" the 24h window: peak RSS {day_run['peak_mb']:.1f} MB, CPU {day_run['cpu_median']:.2f}%"
        f" (target < 150 MB; {shown})"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
