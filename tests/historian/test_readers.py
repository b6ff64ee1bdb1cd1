"""One reader suite, run against both implementations of the reading side: a local SQLite file
and the PostgreSQL historian that file was forwarded to. Each test states what it expects, so
both must give the same answers, not merely answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from sensor_tui.model.tags import Config
from sensor_tui.storage.readers import HistoryReader, open_reader
from tests.historian.helpers import START, edge, readings

SITE = "plant_a"
SECONDS = 600


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict:
    """An edge file with 600 s of the three tags, one excursion, its alarm; forwarded."""
    from sensor_tui.model.tags import load_config

    cluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database(f"readers_{time.monotonic_ns()}")
    config: Config = replace(load_config(None), site=SITE)
    db = tmp_path_factory.mktemp("readers") / "edge.db"
    batch = readings(config.tag_names, 0, SECONDS)
    for r in batch:
        if r.tag == "fermenter_temp" and 400 <= (batch.index(r) // 3) < 430:
            r.value = 120.0
    with edge(config, db, url, batch_rows=1000) as (pipe, fwd):
        pipe.submit_readings(batch).result(10)
        pipe.flush()
        deadline = time.monotonic() + 30
        while fwd.backlog or fwd.forwarded < 3 * SECONDS or pipe.snapshot().forward_since:
            assert time.monotonic() < deadline, "the historian did not catch up"
            time.sleep(0.05)
        time.sleep(0.5)  # one more round for the alarms, sent after the readings
    return {"db": db, "url": url, "config": config}


@pytest.fixture(params=["sqlite", "postgresql"])
def reader(request: pytest.FixtureRequest, stored: dict) -> Iterator[HistoryReader]:
    target = stored["db"] if request.param == "sqlite" else stored["url"]
    opened = open_reader(target, SITE)
    yield opened
    opened.close()


def ts(second: int) -> str:
    from datetime import timedelta

    from sensor_tui.model.readings import format_ts

    return format_ts(START + timedelta(seconds=second))


def test_tags_and_stats(reader: HistoryReader) -> None:
    names = sorted(row["name"] for row in reader.tag_rows())
    assert names == ["agitator_rpm", "fermenter_ph", "fermenter_temp"]
    stats = reader.tag_stats(["fermenter_ph"])[0]
    assert (stats["count"], stats["first"], stats["last"]) == (SECONDS, ts(0), ts(SECONDS - 1))
    assert reader.span() == (ts(0), ts(SECONDS - 1))


def test_latest_and_recent(reader: HistoryReader) -> None:
    rows = reader.latest("fermenter_ph", limit=3)
    assert [r["timestamp"] for r in rows] == [ts(597), ts(598), ts(599)]
    assert rows[0]["tag"] == "fermenter_ph" and rows[0]["source"] == "test"
    assert reader.recent_readings("fermenter_ph", 2) == [(rows[1]["value"], ts(598)),
                                                         (rows[2]["value"], ts(599))]  # fmt: skip
    window = reader.latest(None, limit=1000, since=ts(10), until=ts(11))
    assert len(window) == 6 and {r["timestamp"] for r in window} == {ts(10), ts(11)}


def test_history_and_anomalies(reader: HistoryReader) -> None:
    times, values, flags = reader.history("fermenter_temp", ts(395), ts(405))
    assert len(times) == 10 and times[1] - times[0] == pytest.approx(1.0)
    assert list(values[5:]) == [120.0] * 5
    flagged = reader.anomaly_count("fermenter_temp", ts(0), ts(SECONDS))
    assert flagged == sum(flags) + reader.anomaly_count(
        "fermenter_temp", ts(405), ts(SECONDS)
    ) + reader.anomaly_count("fermenter_temp", ts(0), ts(395))
    assert flagged > 0
    assert len(reader.anomalies("fermenter_temp", limit=1000)) == flagged


def test_rollups(reader: HistoryReader) -> None:
    assert reader.has_rollups()
    since = START.timestamp()
    starts, lows, highs, means, _ = reader.rollups("fermenter_ph", 60, since, since + SECONDS)
    assert len(starts) == 10 and starts[0] == since
    _, _, hour_highs, _, _ = reader.rollups("fermenter_temp", 3600, since, since + SECONDS)
    assert list(hour_highs) == [120.0]
    assert min(lows) >= 36.0 and max(highs) <= 36.6 + 1e-9 and all(36 <= m <= 36.7 for m in means)


def test_export_in_time_order(reader: HistoryReader) -> None:
    rows = list(reader.export(["fermenter_ph", "agitator_rpm"], ts(100), ts(102)))
    assert [(r[0], r[1]) for r in rows] == [
        (ts(100), "agitator_rpm"), (ts(100), "fermenter_ph"),
        (ts(101), "agitator_rpm"), (ts(101), "fermenter_ph"),
    ]  # fmt: skip
    assert len(list(reader.export(None, None, None))) == 3 * SECONDS


def test_alarms(reader: HistoryReader) -> None:
    alarms = reader.list_alarms(tag="fermenter_temp")
    assert alarms and alarms[0]["tag"] == "fermenter_temp"
    assert alarms[0]["start"] >= ts(400)
    one = reader.get_alarm(alarms[0]["id"])
    assert one is not None and one["state"] == alarms[0]["state"]
    assert reader.journal(alarms[0]["id"])[-1]["to_state"] == alarms[0]["state"]
    assert reader.get_alarm("no-such-alarm") is None


def test_anomaly_counts_over_spans_cut_anywhere(reader: HistoryReader) -> None:
    """Counted from whole hours, whole minutes and the seconds at the ends: the same count as
    the readings give, whatever the span's edges (the historian sums its rollups)."""
    _, _, flags = reader.history("fermenter_temp", ts(0), ts(SECONDS))
    second_flags = list(flags)
    spans = [(-30, 401), (399, 431), (410, 425), (-7200, 7200), (59, 61), (0, SECONDS), (60, 120)]
    for first, last in spans:
        expected = sum(second_flags[max(first, 0) : max(min(last, SECONDS), 0)])
        assert reader.anomaly_count("fermenter_temp", ts(first), ts(last)) == expected, (
            first,
            last,
        )
    assert sum(second_flags) > 0


def test_report_inputs(reader: HistoryReader) -> None:
    alarm_rows, faults = reader.report_inputs(ts(0))
    listed = reader.list_alarms()
    assert sorted(row[:4] for row in alarm_rows) == sorted(
        (a["id"], a["tag"], a["kind"], a["start"]) for a in listed
    )
    assert [row[3] for row in alarm_rows] == sorted(row[3] for row in alarm_rows)  # by start
    assert "fermenter_temp" in {row[1] for row in alarm_rows}
    assert faults == []  # nothing injected at this edge
    assert reader.report_inputs(ts(SECONDS)) == ([], [])
