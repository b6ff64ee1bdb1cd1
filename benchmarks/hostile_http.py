"""Hostile HTTP input: N malformed, oversized, mistyped and random requests against the endpoint.

    python benchmarks/hostile_http.py [--requests 10000] [--clients 4] [--seed 1]

Starts `sensor-tui run --headless --no-sim --http 127.0.0.1:0` as a subprocess, sends a seeded
mix of hostile requests from a few keep-alive clients (bad JSON, wrong types, NaN and huge
numbers, unknown tags, bad timestamps, deep nesting, wrong content types, bodies larger than
declared or than allowed, random query strings, unknown routes and methods), then checks that
`/health` still answers and the process is alive. Prints answers by status class; the target is
0 answers of 5xx (other than 503 for a real outage, which this run never causes) and 0 crashes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

TAGS = ["fermenter_temp", "fermenter_ph", "agitator_rpm", "nope", "", None, 3, "x" * 300]
VALUES = [1.0, 37.5, -1e308, 1e400, "NaN", "Infinity", "7", None, True, [], {}, "", "1e999"]
STAMPS = ["2026-01-01T00:00:00Z", "yesterday", 1e20, -1, "2099-01-01T00:00:00Z", None, "", {}]


def random_measurement(rng: random.Random) -> object:
    if rng.random() < 0.1:
        return rng.choice([None, 1, "text", [], [1, 2]])
    item = {
        "tag": rng.choice(TAGS),
        "value": rng.choice(VALUES),
        "timestamp": rng.choice(STAMPS),
    }
    if rng.random() < 0.2:
        del item[rng.choice(list(item))]
    return item


def hostile_request(rng: random.Random) -> tuple[str, str, bytes, dict[str, str]]:
    """One (method, path, body, headers) drawn from the hostile mix."""
    kind = rng.randrange(9)
    headers = {"Content-Type": "application/json"}
    if kind == 0:  # malformed JSON
        body = rng.choice([b"{", b"[1,2", b'{"measurements": [', b"\xff\xfe", b"nul\x00l", b""])
        return "POST", "/ingest/batch", body, headers
    if kind == 1:  # deep nesting
        depth = rng.randrange(100, 5000)
        return "POST", "/ingest/batch", b"[" * depth + b"]" * depth, headers
    if kind == 2:  # wrong shapes
        body = rng.choice([[], 1, "x", {"measurements": 3}, {"measurements": {}}, {"m": []}])
        return "POST", rng.choice(["/ingest/batch", "/ingest"]), json.dumps(body).encode(), headers
    if kind == 3:  # batches of hostile items
        items = [random_measurement(rng) for _ in range(rng.randrange(1, 50))]
        return "POST", "/ingest/batch", json.dumps({"measurements": items}).encode(), headers
    if kind == 4:  # wrong content type
        headers["Content-Type"] = rng.choice(["text/plain", "application/xml", "", "json"])
        return "POST", "/ingest/batch", b'{"measurements": []}', headers
    if kind == 5:  # oversize: too many items
        items = [{"tag": "fermenter_ph", "value": 7.0}] * 10_001
        return "POST", "/ingest/batch", json.dumps({"measurements": items}).encode(), headers
    if kind == 6:  # random query strings
        route = rng.choice(["/data", "/anomalies", "/tags", "/stats", "/metrics", "/health"])
        params = {
            rng.choice(["tag", "limit", "since", "until", "x", "tag[]"]): rng.choice(
                [
                    "fermenter_ph",
                    "-1",
                    "0",
                    "10001",
                    "abc",
                    "'; DROP TABLE measurements;--",
                    "2026-13-01",
                    "1e309",
                    "%00",
                    "☃" * 10,
                ]
            )
            for _ in range(rng.randrange(0, 4))
        }
        return "GET", route + "?" + urllib.parse.urlencode(params), b"", {}
    if kind == 7:  # unknown routes and methods
        method = rng.choice(["GET", "PUT", "DELETE", "PATCH", "POST", "OPTIONS"])
        path = rng.choice(["/", "/nope", "/ingest/batch/extra", "/../etc/passwd", "/data/1"])
        return method, path, b"", {}
    body = json.dumps(random_measurement(rng)).encode()  # one hostile single reading
    return "POST", "/ingest", body, headers


def client(url: tuple[str, int], requests: list, statuses: Counter, lock: threading.Lock) -> None:
    conn = http.client.HTTPConnection(*url, timeout=30)
    for method, path, body, headers in requests:
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            status = f"connection error: {type(exc).__name__}"
            conn.close()
            conn = http.client.HTTPConnection(*url, timeout=30)
        with lock:
            statuses[status] += 1
    conn.close()


def start_server(workdir: Path) -> tuple[subprocess.Popen, tuple[str, int]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sensor_tui",
            "run",
            "--headless",
            "--no-sim",
            "--http",
            "127.0.0.1:0",
            "--db",
            str(workdir / "hostile.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        found = re.search(r"http://([\d.]+):(\d+)", line)
        if found:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
            return proc, (found.group(1), int(found.group(2)))
    proc.kill()
    raise SystemExit("the server did not report its address")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    mix = [hostile_request(rng) for _ in range(args.requests)]
    statuses: Counter = Counter()
    lock = threading.Lock()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        started = time.perf_counter()
        threads = [
            threading.Thread(target=client, args=(url, mix[i :: args.clients], statuses, lock))
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        health = http.client.HTTPConnection(*url, timeout=10)
        health.request("GET", "/health")
        health_status = health.getresponse().status
        alive = proc.poll() is None
        proc.terminate()
        proc.wait(30)
    by_class = Counter(s if isinstance(s, str) else f"{s // 100}xx" for s in statuses.elements())
    server_errors = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
    print(f"{args.requests} hostile requests in {elapsed:.1f} s from {args.clients} clients")
    for status, n in sorted(statuses.items(), key=lambda kv: str(kv[0])):
        print(f"  {status!s:<40} {n:>7}")
    print(f"  by class: {dict(sorted(by_class.items()))}")
    print(
        f"  5xx answers: {server_errors}   /health after: {health_status}   monitor alive: {alive}"
    )
    ok = server_errors == 0 and health_status == 200 and alive
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
