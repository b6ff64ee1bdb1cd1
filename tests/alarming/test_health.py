"""Issue 11: alarm health KPIs, the detector's grade and priority, on alarms whose answers are
known by construction (pure computations: no database needed to check the arithmetic)."""

from __future__ import annotations

from sensor_tui.alarming import priority as prio
from sensor_tui.alarming.grading import TOLERANCE, Fault, grade
from sensor_tui.alarming.health import AlarmFacts, health

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC, on a 10-minute boundary


def alarm(i: int, start: float, tag: str = "a", kind: str = "spike", **kw: object) -> AlarmFacts:
    fields = {"end": start + 5, "active": False, "state": "normal", "origin": None, "source": "sim"}
    fields.update(kw)
    end = T0 + float(fields.pop("end"))  # type: ignore[arg-type]
    return AlarmFacts(f"{tag}@{i}", tag, kind, T0 + start, end, **fields)  # type: ignore[arg-type]


def test_rates_floods_chattering_stale_and_bad_actors() -> None:
    alarms = [alarm(i, 10.0 * i) for i in range(12)]  # 12 in the first 10 minutes: a flood
    alarms += [alarm(100 + i, 1200.0 + 20 * i, "b", "step") for i in range(3)]  # 3 in 40 s
    alarms += [alarm(200, 1800.0, "c", "drift", state="unack", active=True)]
    now = T0 + 1800 + 25 * 3600  # the drift has been active for 25 hours
    kpis = health(sorted(alarms, key=lambda a: a.start), now)
    assert kpis.alarms == 16 and kpis.per_10min_peak == 12
    assert kpis.floods == 1 and kpis.periods == 4  # first alarm to the last one's end
    assert kpis.per_10min_avg == 4.0
    session = health(sorted(alarms, key=lambda a: a.start), now, since=T0)
    assert session.periods == 154 and session.per_10min_avg == round(16 / 154, 3)
    chatter = {(c["tag"], c["kind"]): c["max_per_minute"] for c in kpis.chattering}
    assert chatter == {("a", "spike"): 7, ("b", "step"): 3}  # starts 0, 10, ..., 60 s
    assert kpis.stale == ["c@200"]
    assert kpis.bad_actors[0] == {"tag": "a", "kind": "spike", "alarms": 12, "share": 0.75}
    assert health([], now).alarms == 0


def test_grade_counts_detected_missed_false_and_time_to_detect() -> None:
    faults = [
        Fault("f1", "a", "step", T0 + 100, T0 + 400, "key"),  # caught 12 s in
        Fault("f2", "a", "drift", T0 + 1000, T0 + 1100, "key"),  # caught late, within tolerance
        Fault("f3", "b", "stuck", T0 + 100, T0 + 200, "key"),  # never caught
        Fault("f4", "b", "spike", T0 + 900, T0 + 900, "random"),  # a random spike, caught
        Fault("f5", "c", "noise", T0 + 2000, None, "key"),  # still going on, no alarm yet
    ]
    alarms = [
        alarm(1, 112, "a", end=412),
        alarm(2, 1100 + TOLERANCE - 1, "a"),
        alarm(3, 901, "b"),
        alarm(4, 1500, "b"),  # nothing behind it: false
        alarm(5, 100 + 200 + TOLERANCE + 5, "b"),  # after f3's tolerance: false, f3 missed
    ]
    result = grade(alarms, faults, T0 + 2010)
    assert (result.injected, result.detected, result.missed, result.pending) == (4, 2, 1, 1)
    assert result.false == 2 and result.random_spikes_caught == 1
    assert result.missed_faults == ("f3",)
    assert result.median_time_to_detect == (12 + 100 + TOLERANCE - 1) / 2
    assert "detected 2/4" in result.line() and "false 2" in result.line()


def test_priority_grows_with_distance_duration_and_kind() -> None:
    assert prio.priority("spike", 0.0, 0) == prio.LOW
    assert prio.priority("spike", 0.3, 0) == prio.MEDIUM
    assert prio.priority("step", 0.3, 120) == prio.HIGH
    assert prio.priority("out_of_band", 1.5, 900) == prio.URGENT
    assert prio.outside(41.0, (35.0, 40.0)) == 0.2 and prio.outside(37.0, (35.0, 40.0)) == 0.0
    assert prio.outside(30.0, (35.0, 40.0)) == 1.0
