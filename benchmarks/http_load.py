"""Load the HTTP endpoint the way gateways would, then check that nothing acknowledged was lost.

    python benchmarks/http_load.py                      # 8 clients x 20 s, then 10M-row GET /data
    python benchmarks/http_load.py --duration 5 --rows 1000000
    python benchmarks/http_load.py --skip-query         # ingest only

Ingest: starts `sensor-tui run --headless --no-sim --http 127.0.0.1:0` as a subprocess; N client
processes (not threads: the clients must not share the server's GIL, and the box has 2 cores)
post batches of 100 readings over keep-alive connections for the duration; the server is stopped
with SIGTERM; every acknowledged reading is then looked up in the database. Prints readings per
second, p50/p99 latency per batch, lost readings (must be 0), and as a baseline the rate of the
same batches submitted to an in-process Pipeline without HTTP.

Query: builds (or reuses, `--big-db`) a database of `--rows` readings inside SQLite itself
(a recursive CTE in 1M-row transactions, no Python per row), checks that the query plan uses the
(tag, timestamp) index, starts the server on it, and times GET /data?tag=...&limit=100 over one
keep-alive connection; the baseline is the same query run directly on SQLite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
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

TAGS = (("fermenter_temp", 35.0, 40.0), ("fermenter_ph", 6.5, 7.5), ("agitator_rpm", 300.0, 600.0))
WINDOW = timedelta(days=1)
"""Each client writes into its own day, so its readings can be found again without a shared id."""


# -- ingest clients (run in their own processes) -------------------------------------------------


def client_base(index: int, epoch: datetime) -> datetime:
    """The first timestamp of client `index` (days in the past, never 'in the future')."""
    return epoch + index * WINDOW


def reading_key(base: datetime, seq: int) -> tuple[str, str]:
    """(tag, timestamp) of a client's reading `seq`: unique, so duplicates cannot hide loss."""
    tag = TAGS[seq % 3][0]
    stamp = base + timedelta(milliseconds=seq // 3)
    return tag, stamp.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def make_body(base: datetime, first: int, size: int, rng: random.Random) -> bytes:
    """One batch of `size` valid readings starting at sequence number `first`."""
    items = []
    for seq in range(first, first + size):
        tag, stamp = reading_key(base, seq)
        low, high = TAGS[seq % 3][1:]
        items.append({"timestamp": stamp, "tag": tag, "value": round(rng.uniform(low, high), 3)})
    return json.dumps({"measurements": items}).encode()


def run_client(
    index: int, port: int, epoch: datetime, duration: float, batch: int, token: str | None
) -> dict[str, Any]:
    """Post batches for `duration` seconds over one keep-alive connection; report what was acked."""
    base, rng = client_base(index, epoch), random.Random(index)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies, acked, statuses = [], [], {}
    seq, deadline = 0, time.monotonic() + duration
    while time.monotonic() < deadline:
        body = make_body(base, seq, batch, rng)
        start = time.perf_counter()
        try:
            conn.request("POST", "/ingest/batch", body, headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()  # reconnect; this batch was not acknowledged
            statuses["error"] = statuses.get("error", 0) + 1
            seq += batch
            continue
        latencies.append(time.perf_counter() - start)
        statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        if response.status == 200:
            acked.append((seq, json.loads(answer)["accepted"]))
        seq += batch
    conn.close()
    return {"index": index, "latencies": latencies, "acked": acked, "statuses": statuses}


# -- the server subprocess --------------------------------------------------------------------


class ServerProcess:
    """`sensor-tui run --headless --no-sim --http 127.0.0.1:0` on a database, until stop()."""

    def __init__(self, db: Path, token: str | None) -> None:
        self.db = db
        self.log = db.with_suffix(".log")
        env = dict(os.environ)
        if token:
            env["SENSOR_TUI_TOKEN"] = token
        cmd = [sys.executable, "-m", "sensor_tui", "run", "--headless", "--no-sim"]
        cmd += ["--db", str(db), "--http", "127.0.0.1:0"]
        # a file, not a pipe, so a chatty console can never block the server
        self._out = open(self.log, "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT, env=env)
        self.port = self._wait_for_port()

    def _wait_for_port(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"HTTP endpoint on http://127\.0\.0\.1:(\d+)", self.log.read_text())
            if found:
                return int(found.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError("server did not report its URL in time")

    def stop(self) -> int:
        """SIGTERM (the monitor flushes first) and wait."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=120)
        self._out.close()
        return code


# -- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def count_lost(db: Path, epoch: datetime, results: list[dict[str, Any]]) -> int:
    """Acknowledged readings that are not in the database."""
    conn = sqlite3.connect(db)
    lost = 0
    for result in results:
        base = client_base(result["index"], epoch)
        low = reading_key(base, 0)[1]
        high = reading_key(base + WINDOW, 0)[1]
        stored = set(
            conn.execute(
                "SELECT tag, timestamp FROM measurements WHERE timestamp >= ? AND timestamp < ?",
                (low, high),
            )
        )
        for first, n in result["acked"]:
            lost += sum(
                1 for seq in range(first, first + n) if reading_key(base, seq) not in stored
            )
    conn.close()
    return lost


def pipeline_baseline(
    workdir: Path, epoch: datetime, seconds: float, batch: int, clients: int
) -> float:
    """Readings per second through an in-process Pipeline (no HTTP), `clients` threads waiting."""
    from sensor_tui.model.tags import load_config
    from sensor_tui.pipeline import Pipeline

    pipeline = Pipeline(load_config(None), workdir / "baseline.db")
    pipeline.start()
    deadline = time.monotonic() + seconds
    done = [0] * clients

    def submitter(index: int) -> None:
        base, rng, seq = client_base(index, epoch), random.Random(index), 0
        while time.monotonic() < deadline:
            items = json.loads(make_body(base, seq, batch, rng))["measurements"]
            done[index] += pipeline.submit(items, "http").result().accepted
            seq += batch

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    pipeline.stop()
    return sum(done) / elapsed


def bench_ingest(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The ingest phase: returns its figures."""
    epoch = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2 * args.clients + 2)
    db = workdir / "load.db"
    server = ServerProcess(db, args.token)
    try:
        with ProcessPoolExecutor(max_workers=args.clients) as pool:
            start = time.perf_counter()
            futures = [
                pool.submit(
                    run_client, i, server.port, epoch, args.duration, args.batch, args.token
                )
                for i in range(args.clients)
            ]
            results = [f.result() for f in futures]
            elapsed = time.perf_counter() - start
    finally:
        exit_code = server.stop()
    latencies = [lat for r in results for lat in r["latencies"]]
    acked = sum(n for r in results for _, n in r["acked"])
    statuses: dict[str, int] = {}
    for r in results:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    baseline = pipeline_baseline(workdir, epoch, min(5.0, args.duration), args.batch, args.clients)
    return {
        "clients": args.clients,
        "batch": args.batch,
        "seconds": round(elapsed, 2),
        "acked_readings": acked,
        "readings_per_second": round(acked / elapsed),
        "batch_latency_p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "batch_latency_p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "statuses": statuses,
        "lost_readings": count_lost(db, epoch, results),
        "server_exit_code": exit_code,
        "baseline_pipeline_readings_per_second": round(baseline),
        "http_vs_pipeline_ratio": round(acked / elapsed / baseline, 2) if baseline else None,
    }


# -- the 10M-row query --------------------------------------------------------------------------

BUILD_SQL = """
WITH RECURSIVE seq(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?2)
INSERT INTO measurements (timestamp, tag, value, is_anomaly, score, kind, source)
SELECT strftime('%Y-%m-%dT%H:%M:%f', ?3 + i / 3, 'unixepoch') || '000Z',
       CASE i % 3 WHEN 0 THEN 'fermenter_temp' WHEN 1 THEN 'fermenter_ph' ELSE 'agitator_rpm' END,
       CASE i % 3 WHEN 0 THEN 35 WHEN 1 THEN 6.5 ELSE 300 END + (abs(random()) % 1000) / 1000.0,
       i % 997 = 0, NULL, CASE WHEN i % 997 = 0 THEN 'spike' END, 'bench'
FROM seq
"""
DATA_SQL = (
    "SELECT timestamp, tag, value, is_anomaly, score, kind, source FROM measurements"
    " WHERE tag = ? ORDER BY timestamp DESC LIMIT ?"
)


def build_big_db(path: Path, rows: int, chunk: int = 1_000_000) -> float:
    """Make sure `path` holds at least `rows` readings; returns seconds spent building."""
    from sensor_tui.model.tags import load_config
    from sensor_tui.storage import connect, create_schema

    db = connect(path)
    create_schema(db, load_config(None))
    conn = db.conn
    have = conn.execute("SELECT count(*) FROM measurements").fetchone()[0]
    start = time.perf_counter()
    conn.execute("PRAGMA synchronous = OFF")  # a benchmark fixture, rebuilt if lost
    epoch = int(time.time()) - rows // 3 - 86_400
    for first in range(have, rows, chunk):
        with conn:
            conn.execute(BUILD_SQL, (first, min(rows, first + chunk), epoch))
        print(f"  built {min(rows, first + chunk):,} / {rows:,} rows", file=sys.stderr)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - start


def query_plan(path: Path) -> str:
    """SQLite's plan for the GET /data?tag= query, as one line."""
    conn = sqlite3.connect(path)
    plan = conn.execute("EXPLAIN QUERY PLAN " + DATA_SQL, ("fermenter_temp", 100)).fetchall()
    conn.close()
    return "; ".join(row[-1] for row in plan)


def time_sqlite(path: Path, n: int) -> list[float]:
    """The baseline: the same query on a direct SQLite connection."""
    conn = sqlite3.connect(path)
    times = []
    for i in range(n):
        start = time.perf_counter()
        conn.execute(DATA_SQL, (TAGS[i % 3][0], 100)).fetchall()
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def time_http(port: int, n: int, token: str | None, tagged: bool = True) -> list[float]:
    """GET /data?tag=...&limit=100 (or without tag) `n` times over one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    times = []
    for i in range(n):
        start = time.perf_counter()
        path = f"/data?tag={TAGS[i % 3][0]}&limit=100" if tagged else "/data?limit=100"
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        times.append(time.perf_counter() - start)
        if response.status != 200 or json.loads(body)["count"] != 100:
            raise RuntimeError(f"GET /data answered {response.status}: {body[:200]!r}")
    conn.close()
    return times


def bench_query(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The query phase: returns its figures."""
    path = Path(args.big_db) if args.big_db else workdir / "big.db"
    build_seconds = build_big_db(path, args.rows)
    plan = query_plan(path)
    server = ServerProcess(path, args.token)
    try:
        time_http(server.port, 50, args.token)  # warm the page cache and the connection
        http_times = time_http(server.port, args.queries, args.token)
        untagged = time_http(server.port, args.queries, args.token, tagged=False)
    finally:
        server.stop()
    sql_times = time_sqlite(path, args.queries)
    rows = sqlite3.connect(path).execute("SELECT max(id) FROM measurements").fetchone()[0]
    p99 = percentile(http_times, 99)
    return {
        "rows": rows,
        "build_seconds": round(build_seconds, 1),
        "query_plan": plan,
        "uses_tag_timestamp_index": "idx_measurements_tag_timestamp" in plan,
        "queries": args.queries,
        "get_data_p50_ms": round(percentile(http_times, 50) * 1000, 3),
        "get_data_p99_ms": round(p99 * 1000, 3),
        "get_data_untagged_p50_ms": round(percentile(untagged, 50) * 1000, 3),
        "get_data_untagged_p99_ms": round(percentile(untagged, 99) * 1000, 3),
        "baseline_sqlite_p50_ms": round(percentile(sql_times, 50) * 1000, 3),
        "baseline_sqlite_p99_ms": round(percentile(sql_times, 99) * 1000, 3),
        "http_vs_sqlite_p50_ratio": round(
            statistics.median(http_times) / statistics.median(sql_times), 1
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the phases asked for, print their figures as JSON; exit 1 if a reading was lost."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="ingest seconds")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes")
    parser.add_argument("--batch", type=int, default=100, help="readings per POST")
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows for the GET timing")
    parser.add_argument("--queries", type=int, default=2000, help="GET /data requests to time")
    parser.add_argument("--big-db", help="reuse this database for the GET timing")
    parser.add_argument("--workdir", help="keep files here (default: a temporary directory)")
    parser.add_argument("--token", default=None, help="run the server with this token")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-query", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="http-load-") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        report: dict[str, Any] = {}
        if not args.skip_ingest:
            report["ingest"] = bench_ingest(args, workdir)
            print(json.dumps({"ingest": report["ingest"]}, indent=2), flush=True)
        if not args.skip_query:
            report["query"] = bench_query(args, workdir)
            print(json.dumps({"query": report["query"]}, indent=2), flush=True)
    lost = report.get("ingest", {}).get("lost_readings", 0)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
