"""Chart series: one tag's readings in time order, and the SQLite reads that fill them with
history (raw readings, or rollups for long windows: `StoredView`).

No Textual here: the monitor's charts are the main client, but the series are plain data, tested
on their own and reused by the benchmark (drawing is `tui.plot`'s job). Times are Unix epoch
seconds (floats) because that is what a chart's x axis needs; values and anomaly flags are kept
in parallel typed arrays (17 bytes a reading), so a full day at 1 Hz for three tags costs about
4 MB, not the ~100 MB that lists of Python objects would.
"""

from __future__ import annotations

import bisect
import itertools
import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from sensor_tui.model.stored_time import format_ts, iso, utc
from sensor_tui.storage.readers import HistoryReader
from sensor_tui.storage.rollups import resolution_for

SAME_MOMENT = 1e-4
"""Seconds under which two times of one tag are the same reading (float round-off)."""

WINDOWS: tuple[int, ...] = (60, 300, 900, 3600, 21600, 86400, 7 * 86400, 30 * 86400)
"""The chart time windows of keys + and -, in seconds: 1m, 5m, 15m, 1h, 6h, 24h, 7d, 30d."""


def window_label(seconds: float) -> str:
    """A short human label for a duration: 90 -> '1m30s', 3600 -> '1h', 300 -> '5m'."""
    seconds = round(abs(seconds))
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            amount, seconds = divmod(seconds, size)
            parts.append(f"{amount}{unit}")
    if parts == ["1d"]:
        return "24h"
    return "".join(parts[:2])


class TagSeries:
    """One tag's readings for its chart, in time order, without duplicates.

    Live readings arrive in commit order (nearly always increasing time: appended in O(1));
    history from SQLite and the odd late HTTP reading are merged by sorting. `covered_since` is the
    time from which the series is known to be complete, so the chart knows when widening its window
    needs a read from the database.
    """

    def __init__(self) -> None:
        self.times = array("d")
        self.values = array("d")
        self.flags = array("b")
        self.covered_since: float | None = None
        """Earliest time from which every stored reading is here (None: no history loaded yet)."""

    def __len__(self) -> int:
        return len(self.times)

    @property
    def latest(self) -> tuple[float, float] | None:
        """The newest (time, value), or None when empty."""
        return (self.times[-1], self.values[-1]) if self.times else None

    def add(self, points: Iterable[tuple[float, float, bool]]) -> int:
        """Add (time, value, is_anomaly) points; returns how many were kept.

        Points older than `covered_since` are outside every window the chart has loaded; they are
        left to the database (a wider window reads them).
        """
        floor = self.covered_since if self.covered_since is not None else -math.inf
        fresh = [p for p in points if p[0] >= floor]
        if not fresh:
            return 0
        last = self.times[-1] if self.times else -math.inf
        ordered = all(a[0] < b[0] for a, b in itertools.pairwise(fresh))
        if ordered and fresh[0][0] > last:
            self.times.extend(p[0] for p in fresh)
            self.values.extend(p[1] for p in fresh)
            self.flags.extend(1 if p[2] else 0 for p in fresh)
        else:
            t, v, f = zip(*fresh, strict=True)
            self._merge(array("d", t), array("d", v), array("b", (1 if x else 0 for x in f)))
        return len(fresh)

    def add_history(
        self, times: array[float], values: array[float], flags: array[int], since: float
    ) -> None:
        """Merge readings read from the database for [since, ...) and mark them covered."""
        self._merge(times, values, flags)
        if self.covered_since is None or since < self.covered_since:
            self.covered_since = since

    def _merge(self, times: array[float], values: array[float], flags: array[int]) -> None:
        all_t = np.concatenate((np.frombuffer(self.times), np.frombuffer(times)))
        all_v = np.concatenate((np.frombuffer(self.values), np.frombuffer(values)))
        all_f = np.concatenate(
            (np.frombuffer(self.flags, dtype=np.int8), np.frombuffer(flags, dtype=np.int8))
        )
        order = np.argsort(all_t, kind="stable")
        sorted_t = all_t[order]
        # One reading per tag and moment, as UNIQUE(tag, timestamp) guarantees in the database:
        # a reading both loaded from history and received live is kept once.
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = np.diff(sorted_t) > SAME_MOMENT
        order = order[keep]
        self.times = array("d", all_t[order].tobytes())
        self.values = array("d", all_v[order].tobytes())
        self.flags = array("b", all_f[order].tobytes())

    def view(self, since: float, until: float) -> tuple[array[float], array[float]]:
        """Times and values with since <= time <= until (copies of the slices)."""
        lo = bisect.bisect_left(self.times, since)
        hi = bisect.bisect_right(self.times, until)
        return self.times[lo:hi], self.values[lo:hi]

    def anomalies(self, since: float, until: float) -> tuple[list[float], list[float]]:
        """Times and values of the anomalous readings with since <= time <= until."""
        lo = bisect.bisect_left(self.times, since)
        hi = bisect.bisect_right(self.times, until)
        if lo >= hi:
            return [], []
        flags = np.frombuffer(self.flags, dtype=np.int8)[lo:hi]
        index = np.nonzero(flags)[0] + lo
        t = np.frombuffer(self.times)[index]
        v = np.frombuffer(self.values)[index]
        return t.tolist(), v.tolist()

    def trim(self, before: float) -> int:
        """Forget readings older than `before` (the window narrowed); returns how many."""
        cut = bisect.bisect_left(self.times, before)
        if cut:
            del self.times[:cut]
            del self.values[:cut]
            del self.flags[:cut]
        if self.covered_since is not None and self.covered_since < before:
            self.covered_since = before
        return cut


def read_history(
    reader: HistoryReader, tag: str, since: float, until: float | None = None
) -> tuple[array[float], array[float], array[int]]:
    """A tag's stored readings with since <= time < until, straight into typed arrays."""
    start = iso(since)
    end = "9999" if until is None else iso(until)
    return reader.history(tag, start, end)


@dataclass(slots=True)
class StoredView:
    """One tag's stored readings over a span, as a chart draws them.

    Raw readings (low == high) for windows up to an hour; per-minute or per-hour rollups (each
    bucket's min and max, at its middle) beyond, so 30 days cost 720 points a tag, not 2.6
    million. `anomalies` is the true count in the span (a COUNT over the readings), never the
    number of markers drawn.
    """

    since: float
    until: float
    resolution: int
    times: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    anomaly_times: np.ndarray
    anomaly_values: np.ndarray
    anomalies: int

    def value_at(self, moment: float) -> tuple[float, float] | None:
        """(low, high) of the last point at or before `moment` (None before the first)."""
        i = int(np.searchsorted(self.times, moment, side="right")) - 1
        return (float(self.lows[i]), float(self.highs[i])) if i >= 0 else None


def load_view(
    reader: HistoryReader, tag: str, since: float, until: float, band: tuple[float, float]
) -> StoredView:
    """Read what a chart of [since, until] shows from SQLite, at the window's resolution."""
    resolution = resolution_for(until - since)
    start, end = iso(since), _until_text(until)
    count = reader.anomaly_count(tag, start, end)
    if resolution and reader.has_rollups():
        starts, lows, highs, _, flagged = reader.rollups(tag, resolution, since, until)
        times = np.frombuffer(starts) + resolution / 2
        low_v, high_v = np.frombuffer(lows), np.frombuffer(highs)
        marked = np.frombuffer(flagged, dtype=np.int64) > 0
        centre = (band[0] + band[1]) / 2
        extreme = np.where(high_v - centre >= centre - low_v, high_v, low_v)
        return StoredView(
            since, until, resolution, times, low_v, high_v, times[marked], extreme[marked], count
        )
    t, v, f = reader.history(tag, start, end)
    times, values = np.frombuffer(t), np.frombuffer(v)
    marked = np.frombuffer(f, dtype=np.int8) > 0
    return StoredView(since, until, 0, times, values, values, times[marked], values[marked], count)


def _until_text(until: float) -> str:
    """The exclusive end bound, one microsecond past `until` (the view includes its end)."""
    return format_ts(utc(until) + timedelta(microseconds=1))
