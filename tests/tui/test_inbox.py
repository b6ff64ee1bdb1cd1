"""The UI inbox is bounded: it coalesces when the UI falls behind."""

from __future__ import annotations

import threading

from sensor_tui.alarming import states
from sensor_tui.alarming.changes import AlarmChange
from sensor_tui.model.readings import Reading
from sensor_tui.tui.inbox import alarm_inbox, raised, reading_inbox


def reading(i: int, anomaly: bool = False) -> Reading:
    return Reading("fermenter_ph", f"2026-01-01T00:00:00.{i:06d}Z", float(i), "http", anomaly)


def test_inbox_wakes_once_per_burst_and_hands_over_in_order() -> None:
    inbox = reading_inbox(100)
    assert inbox.put([reading(0), reading(1)]) is True  # was empty: wake the UI
    assert inbox.put([reading(2)]) is False  # already woken
    assert inbox.put([]) is False
    assert [r.value for r in inbox.take()] == [0.0, 1.0, 2.0]
    assert inbox.take() == [] and inbox.dropped == 0
    assert inbox.put([]) is False  # nothing to show: no wake-up


def test_a_stalled_ui_does_not_grow_the_inbox_and_keeps_anomalies() -> None:
    inbox = reading_inbox(1000)
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
    inbox = reading_inbox(500)
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


def change(alarm: int, from_state: str | None, to_state: str | None, peak: float) -> AlarmChange:
    row = {"id": f"a{alarm}", "tag": "fermenter_ph", "peak_value": peak}
    return AlarmChange(row, from_state, to_state)


def test_alarm_changes_cross_in_order_and_a_raise_is_marked() -> None:
    inbox = alarm_inbox(100)
    assert inbox.put([change(1, None, states.UNACK, 1.0)]) is True
    assert inbox.put([change(1, None, None, 2.0)]) is False  # only extended: already woken
    taken = inbox.take()
    assert [c.row["peak_value"] for c in taken] == [1.0, 2.0]
    assert [raised(c) for c in taken] == [True, False]


def test_a_stalled_ui_keeps_each_alarms_latest_row_and_its_raise() -> None:
    inbox = alarm_inbox(100)
    for step in range(5000):  # 50 alarms, each raised once then extended 99 times
        alarm = step % 50
        inbox.put(
            [
                change(
                    alarm,
                    None,
                    states.UNACK if step < 50 else None,
                    step,
                )
            ]
        )
        assert len(inbox) <= 100
    taken = inbox.take()
    latest = {c.row["id"]: c.row["peak_value"] for c in taken}
    assert latest == {f"a{a}": float(4950 + a) for a in range(50)}  # every alarm's newest row
    assert sorted(c.row["id"] for c in taken if raised(c)) == sorted(f"a{a}" for a in range(50))
    assert inbox.dropped == 5000 - len(taken)
