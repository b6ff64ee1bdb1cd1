"""The chart series and its min/max downsampling (issue 3: a one-point spike is never lost)."""

from __future__ import annotations

import random
from array import array

import pytest

from sensor_tui.series import (
    TagSeries,
    downsample,
    epoch,
    read_history,
    thin_markers,
    window_label,
)
from sensor_tui.storage import Reader
from tests.conftest import fill_database, recent_start


def test_short_series_is_returned_unchanged():
    assert downsample([1.0, 2.0, 3.0], [5.0, 6.0, 7.0], 10) == ([1.0, 2.0, 3.0], [5.0, 6.0, 7.0])
    assert downsample([], [], 10) == ([], [])


@pytest.mark.parametrize("n,max_points", [(10_000, 100), (86_400, 256), (601, 152), (1000, 3)])
def test_a_one_point_spike_survives_any_reduction(n, max_points):
    rng = random.Random(n)
    times = [float(i) for i in range(n)]
    values = [37.0 + rng.gauss(0, 0.1) for _ in times]
    spike_at, dip_at = rng.randrange(n), rng.randrange(n)
    values[spike_at], values[dip_at] = 90.0, -10.0
    xs, ys = downsample(times, values, max_points)
    assert len(xs) <= max(max_points, 2) and len(xs) == len(ys)
    assert (float(spike_at), 90.0) in zip(xs, ys, strict=True)
    assert (float(dip_at), -10.0) in zip(xs, ys, strict=True)
    assert xs == sorted(xs)  # time order kept, so the line is drawn left to right


def test_every_bucket_keeps_its_min_and_max():
    times = [float(i) for i in range(1000)]
    values = [float((i * 37) % 101) for i in range(1000)]
    xs, ys = downsample(times, values, 100)  # 50 buckets of 20
    picked = dict(zip(xs, ys, strict=True))
    for start in range(0, 1000, 20):
        bucket = values[start : start + 20]
        assert min(bucket) in [picked[t] for t in picked if start <= t < start + 20]
        assert max(bucket) in [picked[t] for t in picked if start <= t < start + 20]


def test_flat_series_gives_one_point_per_bucket():
    xs, ys = downsample([float(i) for i in range(1000)], [1.0] * 1000, 100)
    assert len(xs) == 50 and set(ys) == {1.0}


def test_lengths_must_match():
    with pytest.raises(ValueError):
        downsample([1.0, 2.0], [1.0], 10)


def test_window_labels():
    assert [window_label(s) for s in (60, 300, 900, 3600, 21600, 86400)] == [
        "1m", "5m", "15m", "1h", "6h", "24h",
    ]  # fmt: skip
    assert window_label(90) == "1m30s"


def test_series_appends_merges_out_of_order_and_drops_duplicates():
    series = TagSeries()
    assert series.add([(10.0, 1.0, False), (11.0, 2.0, True)]) == 2
    series.add([(9.0, 0.5, False), (11.0, 2.0, True)])  # late reading and a duplicate
    assert list(series.times) == [9.0, 10.0, 11.0]
    assert series.anomalies(0, 100) == ([11.0], [2.0])
    series.add_history(array("d", [5.0, 10.0]), array("d", [4.0, 1.0]), array("b", [1, 0]), 5.0)
    assert list(series.times) == [5.0, 9.0, 10.0, 11.0] and series.covered_since == 5.0
    assert series.add([(4.0, 3.0, False)]) == 0  # older than what is loaded: left to SQLite
    assert series.trim(9.5) == 2 and series.covered_since == 9.5
    times, values = series.view(10.0, 10.5)
    assert list(times) == [10.0] and list(values) == [1.0]


def test_history_read_matches_live_epochs_to_the_microsecond(tmp_path, config):
    db = tmp_path / "h.db"
    start = recent_start(120)
    fill_database(db, config, start, 100)
    store = Reader(db)
    try:
        times, values, flags = read_history(store, "fermenter_ph", start.timestamp())
        rows = store.latest("fermenter_ph", limit=1000)
    finally:
        store.close()
    assert len(times) == len(rows) == 100
    assert [epoch(r["timestamp"]) for r in rows] == list(times)
    assert [r["value"] for r in rows] == list(values)
    assert [int(r["is_anomaly"]) for r in rows] == list(flags)
    assert epoch("2026-01-15T08:00:00.123456Z") == pytest.approx(1768464000.123456, abs=1e-7)


def test_anomaly_markers_are_thinned_to_the_extremes_of_each_column():
    times = [i * 0.1 for i in range(1000)]  # 100 s, ten markers per one-second column
    values = [float(i % 10) for i in range(1000)]
    values[555] = 99.0
    xs, ys = thin_markers(times, values, 0.0, 100.0, 100)
    assert len(xs) <= 200 and (times[555], 99.0) in zip(xs, ys, strict=True)
    assert set(ys) == {0.0, 9.0, 99.0}  # every column keeps its lowest and highest
    assert thin_markers([1.0], [2.0], 0.0, 10.0, 5) == ([1.0], [2.0])
