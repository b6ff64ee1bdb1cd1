"""The status line shows every figure it should."""

from __future__ import annotations

from sensor_tui.model.counters import Snapshot
from sensor_tui.tui.status import MonitorState, status_markup


def test_status_line_shows_state_counts_health_and_where_data_goes():
    snap = Snapshot(
        stored=12345,
        rejected={"unknown tag": 2, "bad timestamp": 1},
        anomalies={("fermenter_ph", "spike"): 4},
        retry_depth=30,
        dead_letter_pending=9,
        outage=True,
        rate=3.0,
    )
    state = MonitorState(
        simulator=True,
        paused=True,
        frozen=True,
        frozen_count=42,
        window=900,
        db_path="plant/sensor_data.db",
        http_url="http://127.0.0.1:8080",
    )
    text = status_markup(state, snap)
    for expected in (
        "PAUSED",
        "FROZEN +42",
        "3.0[/]/s",
        "stored [b]12,345",
        "anomalies this run [b $error]4",
        "rejected [b]3",
        "window [b]15m",
        "DB OUTAGE",
        "retry queue [b $warning]30",
        "dead letter [b $error]9",
        "http://127.0.0.1:8080",
        "plant/sensor_data.db",
    ):
        assert expected in text, expected
    healthy = status_markup(
        MonitorState(False, False, False, 0, 300, "x.db"), Snapshot(stored=1, rate=1.0)
    )
    assert "NO INPUT" in healthy and "db ok" in healthy and "FROZEN" not in healthy
    assert "retry queue 0" in healthy and "dead letter 0" in healthy


def test_no_simulator_shows_http_only_only_when_http_runs() -> None:
    snap = Snapshot(stored=1, rate=1.0)
    without = status_markup(MonitorState(False, False, False, 0, 300, "x.db"), snap)
    assert "NO INPUT" in without and "HTTP ONLY" not in without
    url = "http://127.0.0.1:8080"
    with_http = status_markup(MonitorState(False, False, False, 0, 300, "x.db", url), snap)
    assert "HTTP ONLY" in with_http and "NO INPUT" not in with_http
