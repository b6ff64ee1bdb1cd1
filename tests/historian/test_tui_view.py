"""The terminal monitor over the historian (`run --db postgresql://...`), through the real app
and Pilot against a real PostgreSQL: two sites forwarded by real edges, charts per site, a month
window from the rollups, the alarm panel, export, refused writes, the site selector."""

from __future__ import annotations

import contextlib
import csv
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from sensor_tui.model.readings import Reading, format_ts
from sensor_tui.model.tags import Config
from sensor_tui.runtime.historian_view import HistorianView, NoSites
from sensor_tui.storage.series import WINDOWS
from sensor_tui.tui.alarm_panel import AlarmPanel
from sensor_tui.tui.app import make_app
from sensor_tui.tui.historian_mode import SiteScreen
from sensor_tui.tui.timeline import Timeline
from tests.conftest import run
from tests.historian.helpers import START, edge
from tests.support.toasts import record_notifications
from tests.support.waiting import app_wait_until

SECONDS = 600
END = (START + timedelta(seconds=SECONDS)).timestamp()
OFFSET = {"east": 0.0, "west": 0.3}
"""Each site's values sit at its own place in the band (a share of the band's width)."""


def _readings(config: Config, offset: float, excursion: bool) -> list[Reading]:
    out = []
    for s in range(SECONDS):
        for tag in config.tags:
            low, high = tag.normal
            value = low + (0.4 + offset) * (high - low) + (s % 5) * 0.001 * (high - low)
            if excursion and tag.name == "fermenter_temp" and 450 <= s < 480:
                value = 120.0
            ts = format_ts(START + timedelta(seconds=s))
            out.append(Reading(tag.name, ts, value, source="test"))
    return out


@pytest.fixture(scope="module")
def historian(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """East (three tags, one excursion: an alarm) and west (two tags), forwarded."""
    from sensor_tui.model.tags import load_config

    url = request.getfixturevalue("pg_cluster").create_database(f"view_{time.monotonic_ns()}")
    base = load_config(None)
    work = tmp_path_factory.mktemp("view")
    for site, tags in (("east", base.tags), ("west", base.tags[:2])):
        config = replace(base, site=site, tags=tags, units=())
        batch = _readings(config, OFFSET[site], excursion=site == "east")
        with edge(config, work / f"{site}.db", url) as (pipe, fwd):
            pipe.submit_readings(batch).result(10)
            pipe.flush()
            deadline = time.monotonic() + 30
            while fwd.forwarded < len(batch) or fwd.backlog:
                assert time.monotonic() < deadline, "the historian did not catch up"
                time.sleep(0.05)
            time.sleep(0.5)  # one more round: the alarms
    return url


def _app(view: HistorianView, timeline: Timeline | None = None):
    return make_app(view, clock=lambda: END, live=False, timeline=timeline)


def _middle(config: Config, name: str, site: str) -> float:
    low, high = config.tag(name).normal
    return low + (0.4 + OFFSET[site]) * (high - low)


def test_charts_alarms_and_refused_writes_of_one_site(historian: str) -> None:
    view = HistorianView(historian, "east")
    assert view.sites == ["east", "west"]
    app = _app(view)
    notes = record_notifications(app)

    async def body() -> None:
        async with app.run_test(size=(140, 44)) as pilot:
            charts = app.charts.charts
            assert list(charts) == ["fermenter_temp", "fermenter_ph", "agitator_rpm"]
            await app_wait_until(pilot, lambda: all(len(c.series) for c in charts.values()))
            ph = charts["fermenter_ph"].series
            assert len(ph) == 300 and abs(ph.values[-1] - _middle(view.config, "fermenter_ph",
                                                                  "east")) < 0.05  # fmt: skip
            panel = app.query_one(AlarmPanel)
            await app_wait_until(pilot, lambda: bool(panel.alarms))
            assert {row["tag"] for row in panel.alarms.values()} == {"fermenter_temp"}
            for key in ("a", "h", "s", "p", "o"):
                await pilot.press(key)
            await pilot.pause(0.2)
            assert any("read-only" in n for n in notes), notes
            assert sum("no simulator" in n for n in notes) == 2, notes
            assert any("no database outage" in n for n in notes), notes
            assert not panel.alarms[next(iter(panel.alarms))]["acked_by"]
            assert "historian" in app._status.text and "site east" in app._status.text
            assert app.is_running

    run(body())


def test_a_month_window_reads_the_rollups_and_pans(historian: str) -> None:
    later = END + 20 * 86_400
    app = make_app(HistorianView(historian, "east"), clock=lambda: later, live=False)

    async def body() -> None:
        async with app.run_test(size=(140, 44)) as pilot:
            app.charts.timeline.window_index = WINDOWS.index(30 * 86_400)
            app.charts.timeline.end = (
                END + 5 * 86_400
            )  # a month around the readings, not following now
            app.charts.loader.sync_view(force=True)
            temp = app.charts.charts["fermenter_temp"]
            await app_wait_until(pilot, lambda: temp.stored_view is not None)
            view = temp.stored_view
            assert view is not None and view.resolution == 3600
            assert view.highs.max() == 120.0  # the excursion, kept by the hour's maximum
            assert view.anomalies > 0 and view.anomalies == _counted(historian, view)
            await pilot.press("left_square_bracket")
            await app_wait_until(pilot, lambda: temp.stored_view is not view)
            assert temp.stored_view is not None and len(temp.stored_view.times) == 0  # before

    run(body())


def _counted(url: str, view) -> int:
    """The anomalies of east's fermenter_temp in the view's span, counted over the readings."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM readings WHERE site = 'east' AND tag = 'fermenter_temp'"
            " AND is_anomaly AND ts >= to_timestamp(%s) AND ts <= to_timestamp(%s)",
            (view.since, view.until),
        ).fetchone()[0]


def test_export_writes_the_sites_readings_in_view(
    historian: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = _app(HistorianView(historian, "west"))

    async def body() -> None:
        async with app.run_test(size=(140, 44)) as pilot:
            await app_wait_until(
                pilot, lambda: all(len(c.series) for c in app.charts.charts.values())
            )
            await pilot.press("x")
            await app_wait_until(pilot, lambda: app.charts.exported is not None)

    run(body())
    assert app.charts.exported is not None
    with app.charts.exported.open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["tag"] for r in rows} == {"fermenter_temp", "fermenter_ph"}
    assert len(rows) == 2 * 300  # the 5-minute window: 08:05:00 to the last, 08:09:59


def test_the_site_selector_reopens_the_app_on_the_chosen_site(historian: str) -> None:
    view = HistorianView(historian, "east")
    first = _app(view)

    async def choose() -> None:
        async with first.run_test(size=(140, 44)) as pilot:
            await pilot.press("minus")  # a narrower window, carried over to the next site
            await pilot.press("S")
            await app_wait_until(pilot, lambda: isinstance(first.screen, SiteScreen))
            await pilot.press("down", "enter")
            await app_wait_until(pilot, lambda: not first.is_running)

    run(choose())
    choice = first.site_choice
    assert choice is not None and choice.site == "west"
    view.switch_site(choice.site)
    second = _app(view, timeline=choice.timeline)

    async def shown() -> None:
        async with second.run_test(size=(140, 44)) as pilot:
            assert list(second.charts.charts) == ["fermenter_temp", "fermenter_ph"]
            temp = second.charts.charts["fermenter_temp"].series
            await app_wait_until(pilot, lambda: len(temp) > 0)
            assert abs(temp.values[-1] - _middle(view.config, "fermenter_temp", "west")) < 0.05
            assert second.charts.timeline.window == WINDOWS[WINDOWS.index(300) - 1]
            assert not second.query_one(AlarmPanel).alarms  # west raised none
            assert "site west" in second._status.text

    run(shown())


def test_an_unknown_site_is_refused_with_the_known_ones(historian: str) -> None:
    with pytest.raises(NoSites, match="east, west"):
        HistorianView(historian, "north")


def test_the_command_opens_the_view_in_a_terminal_and_quits(historian: str) -> None:
    exe = shutil.which("sensor-tui", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("sensor-tui console script not installed")
    pid, master = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(exe, [exe, "run", "--db", historian, "--site", "west", "--duration", "2"])
    output, status = b"", None
    deadline = time.monotonic() + 30
    while status is None and time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            with contextlib.suppress(OSError):  # EIO once the child has closed the terminal
                output += os.read(master, 65536)
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
    os.close(master)
    assert status is not None and os.waitstatus_to_exitcode(status) == 0, output[-2000:]
    assert b"sensor-tui: closed historian" in output and b"site west" in output


def test_the_command_names_the_sites_when_one_is_unknown(historian: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sensor_tui", "run", "--db", historian, "--site", "north"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "east, west" in done.stderr
    headless = subprocess.run(
        [sys.executable, "-m", "sensor_tui", "run", "--db", historian, "--headless"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert headless.returncode == 2 and "--http" in headless.stderr


def test_the_view_follows_what_the_edges_forward(config: Config, tmp_path: Path, pg_url: str):
    cfg = replace(config, site="north", units=())
    now = datetime.now(UTC).replace(microsecond=0)

    def batch(first: int, count: int, hot: bool = False) -> list[Reading]:
        out = []
        for s in range(first, first + count):
            ts = format_ts(now + timedelta(seconds=s))
            for tag in cfg.tags:
                mid = sum(tag.normal) / 2 + (s % 5) * 0.01  # varying: the detector learns a spread
                value = 120.0 if hot and tag.name == "fermenter_temp" else mid
                out.append(Reading(tag.name, ts, value, source="test"))
        return out

    with edge(cfg, tmp_path / "north.db", pg_url, batch_rows=1000) as (pipe, fwd):
        pipe.submit_readings(batch(-400, 300)).result(10)
        pipe.flush()
        deadline = time.monotonic() + 20
        while fwd.forwarded < 900 or fwd.backlog:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        app = make_app(HistorianView(pg_url, "north", follow_every=0.2))

        async def body() -> None:
            async with app.run_test(size=(140, 44)) as pilot:
                temp = app.charts.charts["fermenter_temp"].series
                newest = (now + timedelta(seconds=-101)).timestamp()
                await app_wait_until(pilot, lambda: len(temp) > 0 and temp.times[-1] == newest)
                assert not app.query_one(AlarmPanel).alarms
                pipe.submit_readings(batch(-100, 10) + batch(-90, 40, hot=True)).result(10)
                pipe.flush()
                last = (now + timedelta(seconds=-51)).timestamp()
                await app_wait_until(pilot, lambda: temp.times[-1] == last, timeout=20)
                assert list(temp.times[-50:]) == [last - 49 + i for i in range(50)]  # no gap
                assert temp.values[-1] == 120.0
                await app_wait_until(
                    pilot, lambda: bool(app.query_one(AlarmPanel).alarms), timeout=20
                )
                (row,) = app.query_one(AlarmPanel).alarms.values()
                assert row["tag"] == "fermenter_temp" and row["state"] == "unack"
                await pilot.press("q")

        run(body())


def test_go_to_moves_the_charts_and_names_the_sites_span(historian: str) -> None:
    app = _app(HistorianView(historian, "west"))
    notes = record_notifications(app)

    async def body() -> None:
        async with app.run_test(size=(140, 44)) as pilot:
            for moment in ("2026-01-15 08:03", "2026-01-10 12:00"):
                await pilot.press("g")
                await pilot.press(*moment, "enter")
                await pilot.pause(0.2)
            await app_wait_until(pilot, lambda: any("No readings at" in n for n in notes))
            note = next(n for n in notes if "No readings at" in n)
            assert "2026-01-15 08:00:00 to 2026-01-15 08:09:59" in note  # west's readings
            assert not app.charts.timeline.live

    run(body())
