"""Hostile HTTP requests at the protocol level: malformed JSON, deep nesting, wrong shapes and
content types, oversize batches, random query strings, unknown routes and methods.

Shared by `benchmarks/hostile_http.py`, `benchmarks/hostile.py` and the hostile-input suite.
"""

from __future__ import annotations

import json
import random
import urllib.parse

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
