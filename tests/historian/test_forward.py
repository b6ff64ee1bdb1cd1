"""Store-and-forward: an edge's committed readings and alarms reach the historian once each, the
watermark survives restarts, and an unreachable historian leaves a backlog that drains."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import psycopg

from sensor_tui.model.tags import Config
from tests.historian.helpers import edge, historian_digest, local_digest, readings
from tests.support.postgres import Cluster


def _wait(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_readings_reach_the_historian_once(config: Config, tmp_path: Path, pg_url: str) -> None:
    config = replace(config, site="line1")
    db = tmp_path / "edge.db"
    with edge(config, db, pg_url, batch_rows=500) as (pipe, fwd):
        pipe.submit_readings(readings(config.tag_names, 0, 1000)).result(10)
        assert _wait(lambda: fwd.backlog == 0 and fwd.forwarded == 3000)
    assert historian_digest(pg_url, "line1") == local_digest(db)
    marks = dict(sqlite3.connect(db).execute("SELECT name, value FROM forward_watermark"))
    assert marks["measurements"] == "3000"
    # A restart with the watermark lost sends everything again: the historian stores nothing new.
    sqlite3.connect(db).execute("DELETE FROM forward_watermark").connection.commit()
    with edge(config, db, pg_url, batch_rows=700) as (pipe, fwd):
        assert _wait(lambda: fwd.backlog == 0 and pipe.snapshot().forward_up)
        assert fwd.forwarded == 0
    assert historian_digest(pg_url, "line1") == local_digest(db)
    with psycopg.connect(pg_url) as conn:
        minute = conn.execute(
            "SELECT sum(count) FROM rollup_minute WHERE site = 'line1'"
        ).fetchone()
        assert minute == (3000,)  # the resent batches were not counted twice
        tags = conn.execute("SELECT count(*) FROM tags WHERE site = 'line1'").fetchone()
        assert tags == (len(config.tags),)


def test_alarms_and_their_journal_are_forwarded(
    config: Config, tmp_path: Path, pg_url: str
) -> None:
    config = replace(config, site="line2")
    db = tmp_path / "edge.db"
    spike = readings(("fermenter_temp",), 0, 400)
    for r in spike[300:330]:
        r.value = 120.0  # a long excursion: the detector opens an alarm
    with edge(config, db, pg_url) as (pipe, _):
        pipe.submit_readings(spike).result(10)
        pipe.flush()
        local = sqlite3.connect(db).execute("SELECT count(*) FROM alarms").fetchone()[0]
        events = sqlite3.connect(db).execute("SELECT count(*) FROM alarm_events").fetchone()[0]
        assert local > 0 and events > 0

        def arrived() -> bool:
            with psycopg.connect(pg_url) as conn:
                if conn.execute("SELECT to_regclass('alarm_events')").fetchone() == (None,):
                    return False
                a = conn.execute("SELECT count(*) FROM alarms WHERE site = 'line2'").fetchone()
                e = conn.execute("SELECT count(*) FROM alarm_events").fetchone()
                return a == (local,) and e == (events,)

        assert _wait(arrived)


def test_outage_backlog_is_shown_then_drains(
    config: Config, tmp_path: Path, pg_cluster: Cluster, pg_url: str
) -> None:
    config = replace(config, site="line3")
    db = tmp_path / "edge.db"
    with edge(config, db, pg_url, batch_rows=400) as (pipe, fwd):
        pipe.submit_readings(readings(config.tag_names, 0, 100)).result(10)
        assert _wait(lambda: fwd.forwarded == 300)
        pg_cluster.stop()
        try:
            for chunk in range(5):  # sources are still acknowledged: the local commit counts
                pipe.submit_readings(readings(config.tag_names, 100 + chunk * 100, 100)).result(10)
            assert _wait(lambda: pipe.snapshot().forward_backlog == 1500)
            snap = pipe.snapshot()
            assert snap.forward_text.startswith("forward: behind 1,500 readings since ")
            assert not snap.forward_up and snap.forward_since
        finally:
            pg_cluster.start()
        pipe.submit_readings(readings(config.tag_names, 600, 100)).result(10)  # live, meanwhile
        assert _wait(lambda: fwd.backlog == 0 and fwd.forwarded == 2100, timeout=30)
        assert pipe.snapshot().forward_text == "forward: ok"
    assert historian_digest(pg_url, "line3") == local_digest(db)
