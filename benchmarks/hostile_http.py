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
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.support

from tests.support.hostile_requests import hostile_request


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
