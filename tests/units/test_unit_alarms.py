"""Unit health end to end: the simulator's broken relation through the real pipeline into SQLite,
HTTP (real socket) and the CLI (real subprocess); references kept across a restart; `baseline`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from sensor_tui.http import start_server
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline
from sensor_tui.storage import Reader
from sensor_tui.storage.units import load_references, load_scores
from tests.alarm_helpers import alarms_in, quiet, scenario, store_stream
from tests.http.test_routes import Client

WARMUP = 300
FAULT_AT, FAULT_FOR = 420, 180
START = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


def unit_config(config: Config, warmup: int = WARMUP) -> Config:
    """The built-in tags and their default unit, a shorter warm-up, no random spikes."""
    unit = replace(config.units[0], warmup=warmup)
    return replace(quiet(config), units=(unit,))


def stamp(i: int) -> str:
    return (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sensor_tui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sensor_tui", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def decoupled(config: Config, db_path: Path) -> Iterator[Pipeline]:
    """A pipeline whose database holds a warm-up, normal operation, then pH decoupled from the
    fermenter for three minutes (inside its band), then normal again."""
    cfg = unit_config(config)
    faults = {FAULT_AT: ("fermenter_ph", "decouple", FAULT_FOR)}
    readings, events = scenario(cfg, faults, FAULT_AT + FAULT_FOR + 120, start=START)
    pipe = Pipeline(cfg, db_path)
    pipe.start()
    store_stream(pipe, readings, events)
    yield pipe
    pipe.stop()


def test_a_broken_relation_raises_one_unit_alarm_led_by_its_tag(
    decoupled: Pipeline, db_path: Path
) -> None:
    alarms = alarms_in(db_path, tag="fermenter")
    during = [a for a in alarms if stamp(FAULT_AT) <= a["end"] and a["start"] <= stamp(599)]
    assert len(during) == 1, alarms
    (alarm,) = during
    assert alarm["origin"] == "injected" and alarm["source"] == "unit"
    leading = max(alarm["contributions"], key=alarm["contributions"].get)
    assert leading == "fermenter_ph", alarm["contributions"]
    assert sum(alarm["contributions"].values()) == pytest.approx(1.0, abs=0.01)
    assert alarm["start"] < stamp(FAULT_AT + 30)  # seen within half a minute
    # the whole run was in band: no tag crossed it, the unit saw the fault
    assert not [a for a in alarms_in(db_path) if a["kind"] == "out_of_band"]


def test_unit_alarm_with_contributions_over_http_and_in_the_cli(
    decoupled: Pipeline, db_path: Path
) -> None:
    alarm = next(a for a in alarms_in(db_path, tag="fermenter") if a["start"] >= stamp(FAULT_AT))
    server = start_server(decoupled, "127.0.0.1:0", None)
    client = Client(server, None)
    try:
        status, body = client.get(f"/alarms/{quote(alarm['id'], safe='')}")
        assert status == 200 and body["alarm"]["contributions"] == alarm["contributions"]
        assert [j["to_state"] for j in body["journal"]][:1] == ["unack"]
        status, listed = client.get("/alarms?tag=fermenter&state=all")
        assert status == 200 and alarm["id"] in [a["id"] for a in listed["alarms"]]
        status, acked = client.post(f"/alarms/{quote(alarm['id'], safe='')}/ack", {"by": "op"})
        assert status == 200 and acked["alarm"]["acked_by"] == "op"
    finally:
        client.conn.close()
        server.stop()
    done = sensor_tui("alarms", "--db", str(db_path), "--tag", "fermenter", "--json")
    assert done.returncode == 0, done.stderr
    rows = {a["id"]: a for a in json.loads(done.stdout)["alarms"]}
    assert rows[alarm["id"]]["contributions"] == alarm["contributions"]
    table = sensor_tui("alarms", "--db", str(db_path), "--tag", "fermenter")
    assert table.returncode == 0 and "fermenter_ph" in table.stdout and "%" in table.stdout


def test_the_reference_is_stored_and_loaded_after_a_restart(config: Config, db_path: Path) -> None:
    cfg = unit_config(config, warmup=60)
    readings, events = scenario(cfg, {}, 100, start=START)
    first = Pipeline(cfg, db_path)
    first.start()
    store_stream(first, readings[: 3 * 80], events)
    first.stop()
    reader = Reader(db_path)
    try:
        stored = load_references(reader.connection().conn)["fermenter"]
    finally:
        reader.close()
    assert (stored.origin, stored.observations, stored.since) == ("warm-up", 60, stamp(0))

    second = Pipeline(cfg, db_path)
    second.start()
    try:
        assert second.detection.units.status("fermenter") is None  # judged at once, no warm-up
        loaded = second.detection.units.units["fermenter"].detector.state()
        assert json.loads(json.dumps(loaded)) == stored.state
        store_stream(second, readings[3 * 80 :], [])
    finally:
        second.stop()
    reader = Reader(db_path)
    try:
        scored = load_scores(reader.connection().conn, "fermenter", stamp(80))
    finally:
        reader.close()
    assert [s[0] for s in scored] == [stamp(i) for i in range(80, 100)]


def test_baseline_command_learns_and_stores_a_marked_period(
    config: Config, db_path: Path, tmp_path: Path
) -> None:
    cfg = unit_config(config, warmup=10_000)  # the warm-up never ends: only baseline fits
    readings, events = scenario(cfg, {}, 200, start=START)
    pipe = Pipeline(cfg, db_path)
    pipe.start()
    store_stream(pipe, readings, events)
    pipe.stop()
    since, until = "2026-01-15 08:00:30", "2026-01-15 08:02:30"
    done = sensor_tui("baseline", "--unit", "fermenter", "--since", since, "--until", until,
                      "--db", str(db_path))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "120 observations" in done.stdout
    reader = Reader(db_path)
    try:
        ref = load_references(reader.connection().conn)["fermenter"]
    finally:
        reader.close()
    assert (ref.origin, ref.observations, ref.since) == ("operator", 120, stamp(30))
    restarted = Pipeline(cfg, db_path)
    restarted.start()
    try:
        assert restarted.detection.units.status("fermenter") is None
    finally:
        restarted.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--unit", "boiler"), "no unit 'boiler'"),
        (("--unit", "fermenter", "--since", "2030-01-01"), "too few"),
        (("--unit", "fermenter", "--until", "2026-01-15 07:00"), "before --until"),
    ],
)
def test_baseline_command_says_what_is_wrong(
    decoupled: Pipeline, db_path: Path, args: tuple[str, ...], message: str
) -> None:
    options = {"--since": "2026-01-15 08:00", "--until": "2031-01-01"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    flat = [x for key, value in ({**options, **given}).items() for x in (key, value)]
    before = alarms_in(db_path)
    done = sensor_tui("baseline", *flat, "--db", str(db_path))
    assert done.returncode == 2 and message in done.stderr + done.stdout
    assert alarms_in(db_path) == before
