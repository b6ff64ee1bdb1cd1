"""The monitor's status line names the forward backlog while the historian is away."""

from __future__ import annotations

from sensor_tui.model.counters import Snapshot
from sensor_tui.tui.status import MonitorState, status_markup


def test_status_line_shows_the_forward_backlog() -> None:
    state = MonitorState(False, False, False, 0, 300, "x.db")
    assert "forward" not in status_markup(state, Snapshot(stored=5))
    away = Snapshot(forwarding=True, forward_backlog=12345, forward_since="2026-01-15T08:04:00Z")
    assert "forward: behind 12,345 readings since 2026-01-15 08:04:00" in status_markup(state, away)
    back = Snapshot(forwarding=True, forward_up=True, forward_backlog=800)
    assert "forward: catching up, behind 800 readings" in status_markup(state, back)
    done = Snapshot(forwarding=True, forward_up=True)
    assert "forward: ok" in status_markup(state, done)
