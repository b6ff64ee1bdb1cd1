"""MQTT ingest through a real Mosquitto into `sensor-tui run --headless --no-sim --mqtt ...`,
beside the HTTP endpoint measured in the same run.

    python benchmarks/mqtt_load.py                         # every phase, 10 s each, 20 kills
    python benchmarks/mqtt_load.py --duration 5 --kills 5
    python benchmarks/mqtt_load.py --skip-http --skip-kill

Phases (each on a fresh database and monitor process, one broker for the run):
1. drain, JSON lists of 100 readings: 1,000,000 readings are published while the monitor is
   stopped, then it starts: readings stored per second from its connection until all are in
   SQLite (the monitor alone on the machine's cores: its own capacity);
2. sustained, JSON lists of 100: publisher processes on the same cores send QoS 1 paced to
   30,000 readings/s in all for `--duration` s; the figures are the rate stored while they send
   and the lag (seconds until SQLite holds every acknowledged reading after the last publish);
3. the same two with one reading per message (a backlog of 60,000; sustained at 5,000/s);
4. HTTP baseline: `http_load.bench_ingest` (8 clients, 100-reading batches, same duration), and
   its in-process pipeline figure;
5. latency at 1,000 readings/s (one reading per message): publish time (the reading's own
   timestamp) to the moment a poller sees the row in SQLite (polled every 2 ms): p50 / p99;
6. kill -9: a publisher sends 1,500 messages/s while the monitor is killed and restarted
   `--kills` times, each time while it works through the backlog that queued up on the broker;
   then every reading the broker acknowledged to the publisher is looked up: lost, stored twice.
Prints JSON; exits 1 if a reading was lost or stored twice.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.support

from tests.support.mosquitto_harness import Broker, Publisher

from http_load import bench_ingest, percentile

TAGS = (("fermenter_temp", 35.0, 40.0), ("fermenter_ph", 6.5, 7.5), ("agitator_rpm", 300.0, 600.0))


def iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class MonitorProcess:
    """`sensor-tui run --headless --no-sim --mqtt URL`, its output in a file."""

    def __init__(self, db: Path, url: str) -> None:
        self.log = db.with_suffix(f".{time.monotonic_ns()}.log")
        cmd = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim"]
        cmd += ["--db", str(db), "--mqtt", url]
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)

    def wait_connected(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while ": connected (session present" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"monitor did not connect: {self.log.read_text()[-1500:]}")
            time.sleep(0.02)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(120)


def count(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM measurements").fetchone()[0])


def wait_for_rows(db: Path, n: int, timeout: float) -> float:
    """Wait until the database holds `n` rows; the monotonic time it did (or the deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(db) >= n:
            return time.monotonic()
        time.sleep(0.02)
    return time.monotonic()


# -- throughput ---------------------------------------------------------------------------------


def publish_for(
    port: int,
    topic: str,
    index: int,
    batch: int,
    seconds: float,
    limit: int = 10**12,
    rate: float = 0.0,
) -> dict[str, int]:
    """(Own process) publish `batch`-reading messages for `seconds` (at most `limit` readings,
    at most `rate` readings/s if given); count the broker's acknowledgements."""
    base = datetime.now(UTC) - timedelta(days=3 + index)
    rng = random.Random(index)
    publisher = Publisher(port, client_id=f"bench-pub-{index}-{time.monotonic_ns()}")
    seq, started = 0, time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline and seq < limit:
        items = []
        for k in range(seq, seq + batch):
            tag, low, high = TAGS[k % 3]
            stamp = iso(base + timedelta(milliseconds=k))
            items.append(
                {"tag": tag, "value": round(rng.uniform(low, high), 3), "timestamp": stamp}
            )
        payload = json.dumps(items if batch > 1 else items[0])
        publisher.publish(topic, payload)
        seq += batch
        sent = publisher.sent
        if len(sent) > 2000 and len(sent) % 100 == 0:
            sent[-2000][1].wait_for_publish(60)  # at most ~2,000 unacknowledged
        ahead = seq / rate - (time.monotonic() - started) if rate else 0.0
        if ahead > 0:
            time.sleep(ahead)
    elapsed = time.monotonic() - started
    publisher.wait_all(120)
    publisher.close()
    return {
        "sent": len(publisher.sent) * batch,
        "acked": len(publisher.acked()) * batch,
        "seconds": elapsed,
    }


def bench_sustained(
    broker: Broker, workdir: Path, batch: int, seconds: float, n: int, rate: float
) -> dict:
    """Publishers paced to `rate` readings/s in all, on the same cores as the monitor: does
    the monitor keep up while they send (stored rate, and the lag once they stop)?"""
    db = workdir / f"sustained-{batch}.db"
    topic = f"bench{batch}"
    monitor = MonitorProcess(db, f"mqtt://127.0.0.1:{broker.port}/{topic}/#")
    monitor.wait_connected()
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures = [
            pool.submit(publish_for, broker.port, topic, i, batch, seconds, 10**12, rate / n)
            for i in range(n)
        ]
        results = [f.result() for f in futures]
    ended, stored_while_publishing = time.monotonic(), count(db)
    publishing = max(r["seconds"] for r in results)  # the publishers' own clocks: no start-up
    acked = sum(r["acked"] for r in results)
    done = wait_for_rows(db, acked, timeout=300)
    stored = count(db)
    code = monitor.stop()
    return {
        "readings_per_message": batch,
        "publishers": n,
        "offered_readings_per_second": round(acked / publishing),
        "readings_per_second_stored_while_publishing": round(stored_while_publishing / publishing),
        "lag_after_last_publish_s": round(done - ended, 2),
        "acked_readings": acked,
        "stored_readings": stored,
        "lost": max(0, acked - stored),
        "monitor_exit_code": code,
    }


def bench_drain(broker: Broker, workdir: Path, batch: int, readings: int, n: int) -> dict:
    """The monitor's own ingest rate, with no publisher competing for the 2 cores: the backlog
    is published while the monitor is stopped (its session queues it), then the monitor starts
    and the clock runs from its connection until SQLite holds every acknowledged reading."""
    db = workdir / f"drain-{batch}.db"
    url = f"mqtt://127.0.0.1:{broker.port}/drain{batch}/#"
    monitor = MonitorProcess(db, url)
    monitor.wait_connected()
    monitor.stop()  # the session and its subscription stay on the broker
    share = readings // n
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures = [
            pool.submit(publish_for, broker.port, f"drain{batch}", i, batch, 3600.0, share)
            for i in range(n)
        ]
        results = [f.result() for f in futures]
    acked = sum(r["acked"] for r in results)
    monitor = MonitorProcess(db, url)
    monitor.wait_connected()
    start = time.monotonic()
    done = wait_for_rows(db, acked, timeout=300)
    stored = count(db)
    code = monitor.stop()
    return {
        "readings_per_message": batch,
        "backlog_readings": acked,
        "stored_readings": stored,
        "seconds": round(done - start, 2),
        "readings_per_second_stored": round(stored / (done - start)),
        "lost": max(0, acked - stored),
        "monitor_exit_code": code,
    }


# -- latency ------------------------------------------------------------------------------------


def bench_latency(broker: Broker, workdir: Path, seconds: float, rate: float = 1000.0) -> dict:
    db = workdir / "latency.db"
    monitor = MonitorProcess(db, f"mqtt://127.0.0.1:{broker.port}/lat/#")
    monitor.wait_connected()
    latencies: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        last = 0
        while not stop.is_set():
            rows = conn.execute(
                "SELECT id, timestamp FROM measurements WHERE id > ? ORDER BY id", (last,)
            ).fetchall()
            seen = time.time()
            for row_id, stamp in rows:
                sent = datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
                latencies.append(seen - sent)
                last = row_id
            time.sleep(0.002)
        conn.close()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    publisher = Publisher(broker.port)
    start, i = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        payload = json.dumps(
            {"tag": "fermenter_temp", "value": 37.0, "timestamp": iso(datetime.now(UTC))}
        )
        publisher.publish("lat/fermenter_temp", payload)
        i += 1
        ahead = i / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    publisher.wait_all(60)
    publisher.close()
    wait_for_rows(db, i, timeout=60)
    time.sleep(0.05)
    stop.set()
    poller.join()
    monitor.stop()
    return {
        "rate_per_second": rate,
        "messages": i,
        "measured": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies, default=0) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
    }


# -- kill -9 ------------------------------------------------------------------------------------


class Load:
    """A publisher thread: one timestamped reading per message at `rate` until finished."""

    def __init__(self, port: int, topic: str, rate: float) -> None:
        self.publisher = Publisher(port)
        self.topic, self.rate = topic, rate
        self.base = datetime.now(UTC) - timedelta(hours=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def key(self, i: int) -> str:
        return iso(self.base + timedelta(milliseconds=i))

    def _run(self) -> None:
        start, i = time.monotonic(), 0
        while not self._stop.is_set():
            payload = json.dumps({"value": 400 + i % 50, "timestamp": self.key(i)})
            self.publisher.publish(self.topic, payload, key=self.key(i))
            i += 1
            ahead = i / self.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    def finish(self) -> set[str]:
        self._stop.set()
        self._thread.join()
        self.publisher.wait_all(60)
        self.publisher.close()
        return {str(k) for k in self.publisher.acked()}


def stored_keys(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return [ts for (ts,) in conn.execute("SELECT timestamp FROM measurements")]


def bench_kills(broker: Broker, workdir: Path, kills: int) -> dict:
    db = workdir / "kill.db"
    url = f"mqtt://127.0.0.1:{broker.port}/kill/#"
    monitor = MonitorProcess(db, url)
    monitor.wait_connected()
    load = Load(broker.port, "kill/agitator_rpm", rate=1500)
    rng = random.Random(13)
    start = time.monotonic()
    for _ in range(kills):
        before = count(db)
        deadline = time.monotonic() + 60
        while count(db) <= before + 10 and time.monotonic() < deadline:
            time.sleep(0.01)  # the monitor is working through the backlog now
        time.sleep(rng.uniform(0.0, 1.0))
        monitor.kill()
        monitor = MonitorProcess(db, url)
    monitor.wait_connected()
    time.sleep(1.0)
    acked = load.finish()
    deadline = time.monotonic() + 120
    while not acked <= set(stored_keys(db)) and time.monotonic() < deadline:
        time.sleep(0.1)
    code = monitor.stop()
    keys = stored_keys(db)
    return {
        "kills": kills,
        "seconds": round(time.monotonic() - start, 1),
        "messages_acked_by_broker": len(acked),
        "rows": len(keys),
        "lost": len(acked - set(keys)),
        "stored_twice": len(keys) - len(set(keys)),
        "monitor_exit_code": code,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load phase")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mqtt-load-") as tmp:
        workdir = Path(tmp)
        broker = Broker(workdir / "broker").start()
        try:
            for batch, backlog, rate in ((100, 1_000_000, 30_000), (1, 60_000, 5_000)):
                name = f"mqtt_{batch}_per_message_drain"
                report[name] = bench_drain(broker, workdir, batch, backlog, args.publishers)
                print(json.dumps({name: report[name]}), flush=True)
                name = f"mqtt_{batch}_per_message_sustained_{rate}"
                report[name] = bench_sustained(
                    broker, workdir, batch, args.duration, args.publishers, rate
                )
                print(json.dumps({name: report[name]}), flush=True)
            if not args.skip_http:
                http_args = argparse.Namespace(
                    clients=8, batch=100, duration=args.duration, token=None
                )
                report["http_100_per_request"] = bench_ingest(http_args, workdir)
                print(
                    json.dumps({"http_100_per_request": report["http_100_per_request"]}), flush=True
                )
            report["latency_1000_per_second"] = bench_latency(broker, workdir, args.duration)
            print(
                json.dumps({"latency_1000_per_second": report["latency_1000_per_second"]}),
                flush=True,
            )
            if not args.skip_kill:
                report["kill9"] = bench_kills(broker, workdir, args.kills)
                print(json.dumps({"kill9": report["kill9"]}), flush=True)
        finally:
            broker.stop()
    print(json.dumps(report, indent=2))
    bad = report.get("kill9", {}).get("lost", 0) + report.get("kill9", {}).get("stored_twice", 0)
    bad += sum(report[k]["lost"] for k in report if k.startswith("mqtt_"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
