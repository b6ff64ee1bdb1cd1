"""OPC UA through `sensor-tui run --headless --no-sim`: a bad node, network outages, the log.

    python benchmarks/opcua.py                              # 10 min bad node; 20 s, 2 min, 10 min
    python benchmarks/opcua.py --minutes 2 --outages 20,60  # shorter

One asyncua server in this process with 20 variables, each written at 1 Hz with its source
timestamp (a PLC sampling); the monitor is a real subprocess with a config file, its log in a
`--log-file` at the default `--log-level`. Phases, each on a fresh database and monitor:

1. baseline: the 20 good nodes for `--baseline-minutes`: readings stored / written per tag, and
   the log's growth per minute after the first 20 s (the steady state);
2. bad node: 19 good nodes and one unknown node id (`ns=2;i=9999`) for `--minutes`: the share of
   the 19 good tags' readings stored (target >= 99 %), and the log's growth per minute;
3. outages: for each length in `--outages` (seconds), the network between monitor and server is
   cut (a TCP relay drops every connection and refuses new ones) while the server goes on
   writing, then restored. Measured: seconds until /health shows the source down (target <= 2),
   seconds from the restore to the first reading stored from the subscription (target <= 3),
   and, against the server's own record of every value it wrote: readings missing, stored
   twice (target 0 and 0), and how many came back from history (`source = opcua-history`).

Prints JSON; exits 1 when a target is missed. Figures on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.*

from tests.sources.opcua_server import OpcServer
from tests.support.mosquitto_harness import free_port
from tests.support.tcp_proxy import TcpProxy

NAMES = tuple(f"plc_t{i:02d}" for i in range(1, 21))
BAD_NODE = "ns=2;i=9999"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class Plc:
    """Writes every variable once a second, all with the same source timestamp."""

    def __init__(self, server: OpcServer) -> None:
        self.server = server
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Plc:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            next_tick += 1.0
            self.ticks += 1
            when = datetime.now(UTC)
            for i, name in enumerate(NAMES):
                self.server.write(name, 40.0 + (self.ticks % 20) + i / 10, when)
            self._stop.wait(max(0.0, next_tick - time.monotonic()))


class Monitor:
    """The monitor subprocess with a config file for one OPC UA server."""

    def __init__(self, folder: Path, url: str, nodes: dict[str, str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.db = folder / "m.db"
        self.log = folder / "monitor.log"
        self.http = free_port()
        tags = "".join(
            f'[[tags]]\nname = "{name}"\nunit = "C"\nnormal = [30, 70]\nvalid = [0, 100]\n\n'
            for name in NAMES
        )
        table = ", ".join(f'{tag} = "{node}"' for tag, node in nodes.items())
        config = folder / "plant.toml"
        config.write_text(
            f'{tags}[[sources]]\ntype = "opcua"\nname = "plc"\nurl = "{url}"\n'
            f"publishing_interval = 500\nnodes = {{ {table} }}\n"
        )
        command = [
            sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim",
            "--config", str(config), "--db", str(self.db), "--log-file", str(self.log),
            "--http", f"127.0.0.1:{self.http}",
        ]  # fmt: skip
        self.out = (folder / "stdout.txt").open("w")
        self.process = subprocess.Popen(command, stdout=self.out, stderr=subprocess.STDOUT)

    def source(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/health", timeout=1) as r:
                return dict(json.load(r)["sources"][0])
        except (OSError, ValueError, KeyError, IndexError):
            return {}

    def wait_state(self, state: str, timeout: float) -> float | None:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.source().get("state") == state:
                return time.monotonic() - start
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)
        self.out.close()


def stored(db: Path) -> list[tuple[str, str, float, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT tag, timestamp, value, source FROM measurements").fetchall()


def log_rate(log: Path, seconds: float) -> tuple[int, float]:
    """(bytes now, bytes per minute over the next `seconds`)."""
    before = log.stat().st_size if log.exists() else 0
    time.sleep(seconds)
    after = log.stat().st_size if log.exists() else 0
    return after, (after - before) * 60 / seconds


def steady_run(folder: Path, minutes: float, bad: bool) -> dict[str, Any]:
    """Phases 1 and 2: the share of good readings stored and the log's growth."""
    server = OpcServer(free_port(), extra=NAMES).start()
    nodes = {name: server.node_id(name) for name in NAMES}
    if bad:
        nodes[NAMES[-1]] = BAD_NODE
    plc = Plc(server).start()
    monitor = Monitor(folder, server.url, nodes)
    try:
        monitor.wait_state("connected", 60)
        time.sleep(20)  # connected and settled: the steady state starts
        first_tick, since = plc.ticks, datetime.now(UTC)
        size, per_minute = log_rate(monitor.log, minutes * 60)
        last_tick, until = plc.ticks, datetime.now(UTC)
    finally:
        plc.stop()
        time.sleep(3)
        monitor.stop()
        server.stop()
    good = [name for name in nodes if nodes[name] != BAD_NODE]
    rows = stored(monitor.db)
    written = {
        name: {iso(w) for w, _ in server.written.get(name, []) if since <= w <= until}
        for name in good
    }
    kept = {(t, s) for t, s, _, _ in rows}
    total = sum(len(v) for v in written.values())
    found = sum(1 for name in good for stamp in written[name] if (name, stamp) in kept)
    return {
        "good_tags": len(good),
        "bad_nodes": 1 if bad else 0,
        "minutes": minutes,
        "written": total,
        "stored_share": round(found / total, 5) if total else None,
        "log_bytes_per_minute_steady": round(per_minute, 1),
        "log_bytes_total": size,
        "ticks_measured": last_tick - first_tick,
    }


def outage_run(folder: Path, seconds: float) -> dict[str, Any]:
    """Phase 3: one outage of `seconds`, the gap filled from history, compared with the record."""
    server = OpcServer(free_port(), history=True, extra=NAMES).start()
    proxy = TcpProxy(free_port(), server.port).start()
    url = server.url.replace(f":{server.port}/", f":{proxy.port}/")
    plc = Plc(server).start()
    monitor = Monitor(folder, url, {name: server.node_id(name) for name in NAMES})
    result: dict[str, Any] = {"outage_s": seconds}
    try:
        monitor.wait_state("connected", 60)
        time.sleep(10)
        proxy.cut()
        result["loss_seen_s"] = monitor.wait_state("reconnecting", 30)
        time.sleep(max(0.0, seconds - (result["loss_seen_s"] or 0)))
        back = datetime.now(UTC)
        proxy.restore()
        result["first_reading_after_return_s"] = first_live_reading(monitor.db, back)
        time.sleep(10)
    finally:
        plc.stop()
        time.sleep(3)
        monitor.stop()
        proxy.close()
        server.stop()
    rows = stored(monitor.db)
    first = {t: s for t, s, _, _ in sorted(rows, key=lambda row: row[1], reverse=True)}
    # What the server wrote from the monitor's first reading of each tag on (before that, the
    # monitor was starting: no earlier reading of ours to fill a gap from).
    record = {
        (n, iso(w), v)
        for n in NAMES
        for w, v in server.written.get(n, [])
        if n in first and iso(w) >= first[n]
    }
    kept = [(t, s, v) for t, s, v, _ in rows if t in first and s >= first[t]]
    result["server_wrote"] = len(record)
    result["missing"] = len(record - set(kept))
    result["stored_twice"] = len(kept) - len(set(kept))
    result["from_history"] = sum(1 for *_, source in rows if source == "opcua-history")
    return result


def first_live_reading(db: Path, back: datetime, timeout: float = 60) -> float | None:
    """Seconds from the restore until a subscription reading newer than it is in SQLite."""
    start = time.monotonic()
    stamp = iso(back)
    while time.monotonic() - start < timeout:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM measurements WHERE source = 'opcua' AND timestamp > ? LIMIT 1",
                (stamp,),
            ).fetchone()
        if row:
            return round(time.monotonic() - start, 2)
        time.sleep(0.05)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="bad-node phase length")
    parser.add_argument("--baseline-minutes", type=float, default=1.0)
    parser.add_argument("--outages", default="20,120,600", help="outage lengths in seconds")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        report["baseline"] = steady_run(folder / "baseline", args.baseline_minutes, bad=False)
        report["bad_node"] = steady_run(folder / "bad", args.minutes, bad=True)
        report["outages"] = [
            outage_run(folder / f"outage{seconds}", float(seconds))
            for seconds in args.outages.split(",")
            if seconds.strip()
        ]
    print(json.dumps(report, indent=2))
    return 0 if meets_targets(report) else 1


def meets_targets(report: dict[str, Any]) -> bool:
    bad = report["bad_node"]
    ok = (bad["stored_share"] or 0) >= 0.99 and bad["log_bytes_per_minute_steady"] <= 1024
    for outage in report["outages"]:
        ok = ok and outage["missing"] == 0 and outage["stored_twice"] == 0
        ok = ok and (outage["loss_seen_s"] or 99) <= 2
        if outage["outage_s"] < 60:
            ok = ok and (outage["first_reading_after_return_s"] or 99) <= 3
    return ok


if __name__ == "__main__":
    sys.exit(main())
