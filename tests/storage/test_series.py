"""The chart series: live and history merged, epochs exact."""

from __future__ import annotations

from array import array

import pytest

from sensor_tui.model.readings import epoch
from sensor_tui.storage import Reader
from sensor_tui.storage.series import (
    TagSeries,
    read_history,
    window_label,
)
from tests.conftest import fill_database, recent_start


def test_window_labels():
    assert [window_label(s) for s in (60, 300, 900, 3600, 21600, 86400, 604800, 2592000)] == [
        "1m", "5m", "15m", "1h", "6h", "24h", "7d", "30d",
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
