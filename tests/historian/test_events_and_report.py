"""The `events` journal and a unit alarm's contributions reach the historian, once each, and
`sensor-tui alarms report` grades a site from the historian as it grades the edge's own file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from sensor_tui.model.events import Event
from sensor_tui.model.readings import format_ts
from sensor_tui.model.tags import Config
from tests.alarm_helpers import alarms_in, scenario, store_stream
from tests.historian.helpers import edge

SITE = "line7"
START = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
FAULT_AT, FAULT_FOR = 420, 180


def _events(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('events')").fetchone()[0] is None:
            return []  # the forwarder has not migrated the historian yet
        return conn.execute(
            'SELECT site, id, start, "end", tag, kind, source FROM events ORDER BY id'
        ).fetchall()


def _wait(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the historian did not catch up"
        time.sleep(0.1)


def sensor_tui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sensor_tui", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def forwarded(config: Config, tmp_path: Path, pg_url: str) -> tuple[Config, Path, str]:
    """An edge with a unit: a decoupled pH and a spike injected, stored and forwarded."""
    unit = replace(config.units[0], warmup=300)
    cfg = replace(config, site=SITE, units=(unit,))
    faults = {
        FAULT_AT: ("fermenter_ph", "decouple", FAULT_FOR),
        650: ("fermenter_temp", "spike", 5),
    }
    readings, events = scenario(cfg, faults, FAULT_AT + FAULT_FOR + 120, start=START)
    db = tmp_path / "edge.db"
    with edge(cfg, db, pg_url) as (pipe, fwd):
        store_stream(pipe, readings, events)
        _wait(lambda: fwd.forwarded >= len(readings) and not fwd.backlog)
        _wait(lambda: len(_events(pg_url)) == len(events))
        time.sleep(0.5)  # one more round: the alarms of the last readings
    return cfg, db, pg_url


def test_events_and_contributions_reach_the_historian(forwarded) -> None:
    _, db, url = forwarded
    events = _events(url)
    assert {row[5] for row in events} == {"decouple", "spike"}
    assert all(row[0] == SITE and row[3] for row in events)  # every fault ended, and sent so
    local = {a["id"]: a for a in alarms_in(db, tag="fermenter")}
    assert local and any(a["contributions"] for a in local.values())
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, contributions FROM alarms WHERE site = %s AND tag = 'fermenter'", (SITE,)
        ).fetchall()
    assert {i: json.loads(c) if c else None for i, c in rows} == {
        i: a["contributions"] for i, a in local.items()
    }


def test_an_event_sent_open_is_updated_when_it_ends_and_never_doubled(
    config: Config, tmp_path: Path, pg_url: str
) -> None:
    cfg = replace(config, site=SITE)
    db = tmp_path / "edge.db"
    start = format_ts(START)
    event = Event("stuck", start, tag="fermenter_temp", end=None, id="ev-open")
    with edge(cfg, db, pg_url) as (pipe, _):
        pipe.record_event(event)
        pipe.submit_readings([]).result(10)
        assert pipe.flush(10)
        _wait(lambda: [r[1] for r in _events(pg_url)] == ["ev-open"])
        assert _events(pg_url)[0][3] is None  # still going
        pipe.record_event(replace(event, end=format_ts(START + timedelta(seconds=30))))
        pipe.record_event(Event("spike", format_ts(START + timedelta(seconds=60)),
                                tag="fermenter_ph", end=format_ts(START + timedelta(seconds=61)),
                                id="ev-later"))  # fmt: skip
        assert pipe.flush(10)
        _wait(lambda: len(_events(pg_url)) == 2 and _events(pg_url)[0][3] is not None)
    # a restart resends from its watermark: still one row per event
    with edge(cfg, db, pg_url):
        time.sleep(0.5)
    rows = _events(pg_url)
    assert [(r[1], r[3]) for r in rows] == [
        ("ev-later", format_ts(START + timedelta(seconds=61))),
        ("ev-open", format_ts(START + timedelta(seconds=30))),
    ]


def test_alarm_report_on_the_historian_equals_the_edges(forwarded) -> None:
    _, db, url = forwarded
    since = format_ts(START)
    edge_report = sensor_tui("alarms", "report", "--db", str(db), "--since", since, "--json")
    assert edge_report.returncode == 0, edge_report.stderr
    site_report = sensor_tui(
        "alarms", "report", "--db", url, "--site", SITE, "--since", since, "--json"
    )
    assert site_report.returncode == 0, site_report.stderr
    local, central = json.loads(edge_report.stdout), json.loads(site_report.stdout)
    assert central == local
    assert central["detector"]["injected"] == 2 and central["detector"]["detected"] >= 1
    every_site = sensor_tui("alarms", "--db", url, "report", "--since", since, "--json")
    assert every_site.returncode == 0, every_site.stderr
    assert json.loads(every_site.stdout)["detector"] == local["detector"]
    missing = sensor_tui("alarms", "report", "--db", url, "--site", "nowhere", "--json")
    assert missing.returncode == 0 and json.loads(missing.stdout)["detector"]["injected"] == 0
