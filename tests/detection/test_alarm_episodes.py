"""Alarm grouping, the alarms table through the real pipeline, the seed's z-score."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta

from sensor_tui.detection import ZScoreDetector
from sensor_tui.detection.alarms import AlarmTracker
from sensor_tui.detection.evaluation import Span, score_alarms
from sensor_tui.model.readings import Reading, format_ts
from sensor_tui.model.tags import Config, SimulatorSettings, parse_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.sources.simulator import Simulator
from sensor_tui.storage import connect

START = datetime(2026, 1, 5, tzinfo=UTC)


def _reading(tag: str, i: int, kind: str | None = None, score: float | None = None) -> Reading:
    reading = Reading(tag, format_ts(START + timedelta(seconds=i)), 1.0, "sim")
    reading.is_anomaly, reading.kind, reading.score = kind is not None, kind, score
    return reading


def test_gaps_shorter_than_the_hold_off_make_one_alarm() -> None:
    tracker = AlarmTracker(hold_off=5)
    flagged = {0: "spike", 1: "noise", 4: "noise", 8: "noise"}  # gaps of 2 and 3 readings
    tracker.feed(
        _reading("a", i, flagged.get(i), -float(i) if i in flagged else None) for i in range(20)
    )
    (alarm,) = tracker.take_changed()
    assert (alarm.kind, alarm.readings, alarm.peak_score, alarm.active) == ("noise", 4, -8.0, False)
    assert alarm.start.endswith("00:00:00.000000Z") and alarm.end.endswith("00:00:08.000000Z")


def test_a_gap_of_the_hold_off_opens_a_new_alarm_and_tags_are_independent() -> None:
    tracker = AlarmTracker(hold_off=3)
    readings = [_reading("a", 0, "step", 5.0), _reading("b", 0, "stuck", 10.0)]
    readings += [_reading("a", i) for i in range(1, 4)]  # closes a's alarm
    readings += [_reading("a", 4, "drift", 7.0)]
    tracker.feed(readings)
    assert [a.tag for a in tracker.open_alarms()] == ["b", "a"]
    changed = tracker.take_changed()
    assert [(a.tag, a.kind, a.active) for a in changed] == [
        ("a", "step", False),
        ("b", "stuck", True),
        ("a", "drift", True),
    ]
    assert tracker.take_changed() == []
    tracker.requeue(changed[:1])
    assert tracker.take_changed() == changed[:1]


def test_zscore_matches_the_seeds_rolling_window() -> None:
    """|z| > 3 against the previous 50 values (population sd), the value then joins the window."""
    rng = random.Random(3)
    values = [rng.gauss(10, 1) for _ in range(400)] + [30.0] + [rng.gauss(10, 1) for _ in range(50)]
    detector = ZScoreDetector()
    for i, value in enumerate(values):
        flagged, score, kind = detector.update(value, "")
        window = values[max(0, i - 50) : i]
        if len(window) < 10:
            assert not flagged
            continue
        z = (value - statistics.fmean(window)) / statistics.pstdev(window)
        assert flagged == (abs(z) > 3)
        assert abs(score - abs(z) / (1 + abs(z))) < 1e-9  # in [0, 1) like every score
        assert kind == ("spike" if flagged else None)


def test_score_alarms_counts_detections_false_alarms_and_grace() -> None:
    events = [Span("a", "step", "2026-01-05T00:00:10.000000Z", "2026-01-05T00:00:20.000000Z")]
    alarms = [
        Span("a", "step", "2026-01-05T00:00:45.000000Z", "2026-01-05T00:00:50.000000Z"),
        Span("a", "spike", "2026-01-05T00:10:00.000000Z", "2026-01-05T00:10:00.000000Z"),
        Span("b", "step", "2026-01-05T00:00:15.000000Z", "2026-01-05T00:00:15.000000Z"),
    ]
    score = score_alarms(events, alarms, timedelta(seconds=30))
    assert (score.detected, score.alarms, score.false_alarms, score.kind_correct) == (1, 3, 2, 1)
    assert score.during == 0  # found only in the grace period after the step
    assert score_alarms(events, alarms, timedelta(seconds=10)).detected == 0


def test_pipeline_stores_kinds_and_one_alarm_per_fault(tmp_path) -> None:
    config = Config(simulator=SimulatorSettings(spike_rate=0.0))
    sim = Simulator(config, seed=9)
    readings = []
    for i in range(3000):
        if i == 2400:
            sim.inject("fermenter_ph", "stuck")
        readings.extend(sim.next_batch(START + timedelta(seconds=i)))
    pipeline = Pipeline(config, tmp_path / "s.db", tmp_path / "dl.jsonl")
    pipeline.start()
    pipeline.submit_readings(readings).result(30)
    pipeline.stop()
    db = connect(tmp_path / "s.db")
    alarms = list(db.query('select tag, kind, start, "end", peak_score, active from alarms'))
    assert [(a["tag"], a["kind"], a["active"]) for a in alarms] == [("fermenter_ph", "stuck", 0)]
    assert alarms[0]["peak_score"] >= 0.7  # the calibrated score, at least the threshold
    kinds = {row[0] for row in db.execute("select distinct kind from anomalies")}
    assert kinds == {"stuck"}


def test_config_selects_zscore_per_tag(tmp_path) -> None:
    config = parse_config(
        {
            "detector": "zscore",
            "tags": [{"name": "x", "normal": [0, 1], "valid": [-5, 5], "detector": "robust"}],
        }
    )
    pipeline = Pipeline(config, tmp_path / "c.db")
    kinds = {name: type(d).__name__ for name, d in pipeline.detectors.items()}
    assert kinds["fermenter_temp"] == "ZScoreDetector" and kinds["x"] == "AdaptiveDetector"


def test_a_restarted_pipeline_flags_the_first_spike(tmp_path) -> None:
    """Detectors warm from stored history: no blind spot after a restart."""
    config = Config(simulator=SimulatorSettings(spike_rate=0.0))
    sim = Simulator(config, seed=10)
    history = [r for i in range(2500) for r in sim.next_batch(START + timedelta(seconds=i))]
    first = Pipeline(config, tmp_path / "r.db", tmp_path / "dl.jsonl")
    first.start()
    first.submit_readings(history).result(30)
    first.stop()
    sim.inject("fermenter_temp", "spike")
    moment = START + timedelta(seconds=2500)
    second = Pipeline(config, tmp_path / "r.db", tmp_path / "dl.jsonl")
    second.start()
    result = second.submit_readings(sim.next_batch(moment)).result(30)
    second.stop()
    assert result.anomalies == 1
    rows = list(connect(tmp_path / "r.db").query("select tag, kind from anomalies"))
    assert rows == [{"tag": "fermenter_temp", "kind": "spike"}]
