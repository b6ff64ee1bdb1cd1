"""The UI inbox is bounded: it coalesces when the UI falls behind."""

from __future__ import annotations

import threading

from sensor_tui.model.readings import Reading
from sensor_tui.tui.inbox import Inbox


def reading(i: int, anomaly: bool = False) -> Reading:
    return Reading("fermenter_ph", f"2026-01-01T00:00:00.{i:06d}Z", float(i), "http", anomaly)


def test_inbox_wakes_once_per_burst_and_hands_over_in_order() -> None:
    inbox = Inbox(max_readings=100)
    assert inbox.put([reading(0), reading(1)]) is True  # was empty: wake the UI
    assert inbox.put([reading(2)]) is False  # already woken
    assert inbox.put([]) is False
    assert [r.value for r in inbox.take()] == [0.0, 1.0, 2.0]
    assert inbox.take() == [] and inbox.dropped == 0
    assert inbox.put([]) is False  # nothing to show: no wake-up


def test_a_stalled_ui_does_not_grow_the_inbox_and_keeps_anomalies() -> None:
    inbox = Inbox(max_readings=1000)
    sent = 0
    for _ in range(50):  # 50,000 readings while the UI takes none
        inbox.put(reading(sent + i, anomaly=(sent + i) % 997 == 0) for i in range(1000))
        sent += 1000
        assert len(inbox) <= 1000
    taken = inbox.take()
    values = [r.value for r in taken]
    assert values == sorted(values)  # still oldest first
    assert values[-1] == sent - 1  # the newest readings are all there
    assert values[-500:] == [float(v) for v in range(sent - 500, sent)]
    anomalies = [r.value for r in taken if r.is_anomaly]
    assert anomalies == [float(v) for v in range(0, sent, 997)]  # no anomaly missed
    assert inbox.dropped == sent - len(taken)


def test_inbox_bound_holds_with_concurrent_writer() -> None:
    inbox = Inbox(max_readings=500)
    stop = threading.Event()
    seen: list[Reading] = []

    def ui() -> None:
        while not stop.is_set():
            seen.extend(inbox.take())

    thread = threading.Thread(target=ui)
    thread.start()
    for start in range(0, 20_000, 100):
        inbox.put(reading(start + i) for i in range(100))
        assert len(inbox) <= 500
    stop.set()
    thread.join()
    seen.extend(inbox.take())
    assert len(seen) + inbox.dropped == 20_000
    values = [r.value for r in seen]
    assert values == sorted(values)
