"""One running monitor (pipeline, HTTP server, MQTT source) fed hostile input from HTTP, MQTT and
CSV import at once, then audited: every acknowledged reading stored exactly once, nothing rejected
stored, no 5xx, no crash, still answering. The hostile-input suite and `benchmarks/hostile.py`
share it; the inputs come from `tests.support.hostile_inputs`.

Each valid input has its own second (a base plus its index), so the audit knows the one row it
must find. The protocol-level HTTP fuzz (`hostile_requests`) rides along; what it may store is
at a fixed 2026-01-01T00:00:00Z or at "now", outside the audited seconds.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sensor_tui.model.tags import load_config
from sensor_tui.runtime.monitor import Monitor, MonitorOptions
from sensor_tui.sources.config import Backoff, MqttSettings
from sensor_tui.sources.csv_import import import_csv
from tests.support.hostile_inputs import BASE, draw_measurement
from tests.support.hostile_requests import hostile_request
from tests.support.mosquitto_harness import Publisher

Key = tuple[str, str]
JSON = {"Content-Type": "application/json"}
Drawn = tuple[int, dict[str, Any], bool]
"""(index, measurement, valid by construction)"""


@dataclass
class Report:
    """What a hostile run found (the benchmark prints it, the suite asserts on it)."""

    inputs: Counter[str] = field(default_factory=Counter)
    raw_requests: int = 0
    """Protocol-level hostile HTTP requests besides the measurements (`hostile_requests`)."""
    acknowledged: int = 0
    acknowledged_by: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    crashes: list[str] = field(default_factory=list)
    lost: list[Key] = field(default_factory=list)
    stored_twice: int = 0
    rejected_stored: list[Key] = field(default_factory=list)
    misjudged: list[str] = field(default_factory=list)
    health: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The figures, one a line."""
        return [
            f"inputs: {sum(self.inputs.values())} ({dict(sorted(self.inputs.items()))})",
            f"hostile HTTP requests besides: {self.raw_requests}",
            f"acknowledged readings: {self.acknowledged} ({dict(self.acknowledged_by)})",
            f"crashes: {len(self.crashes)}",
            f"5xx: {self.server_errors}",
            f"acknowledged lost: {len(self.lost)}",
            f"stored twice: {self.stored_twice}",
            f"rejected but stored: {len(self.rejected_stored)}",
            f"validation disagreeing with the generator: {len(self.misjudged)}",
            f"/health after: {self.health}",
            f"duration: {self.seconds:.1f} s",
        ]


def canonical(seconds: int) -> str:
    """The stored form of a whole second (the audit's key)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


class _Crashes(logging.Handler):
    """Thread deaths and errors logged with a traceback by the monitor's code."""

    def __init__(self, report: Report) -> None:
        super().__init__(logging.ERROR)
        self.report = report

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.name.startswith("sensor_tui"):
            self.report.crashes.append(f"{record.name}: {record.getMessage()[:200]}")


class HostileRun:
    """Start a monitor in `workdir` against the broker at `mqtt_port`; `feed(n)`; `audit()`."""

    def __init__(
        self, workdir: Path, mqtt_port: int, seed: int = 1, valid_share: float = 0.35
    ) -> None:
        self.db = workdir / "hostile.db"
        self.workdir, self.mqtt_port, self.seed = workdir, mqtt_port, seed
        self.valid_share = valid_share  # 1.0: a clean run, the benchmark's baseline
        self.topic = f"hostile-{uuid.uuid4().hex[:8]}"
        mqtt = MqttSettings(
            name="hostile mqtt",
            host="127.0.0.1",
            port=mqtt_port,
            topics=(f"{self.topic}/#",),
            client_id=f"sensor-tui-hostile-{uuid.uuid4().hex[:8]}",
            backoff=Backoff(0.05, 0.5),
        )
        options = MonitorOptions(
            db_path=self.db, simulate=False, http="127.0.0.1:0", sources=(mqtt,)
        )
        self.monitor = Monitor(load_config(None), options)
        self.report = Report()
        self.expected: dict[Key, float] = {}
        self.refused: set[Key] = set()
        self._lock = threading.Lock()
        self._handler = _Crashes(self.report)
        self._hook = threading.excepthook

    def __enter__(self) -> HostileRun:
        logging.getLogger("sensor_tui").addHandler(self._handler)
        threading.excepthook = self._thread_died
        self.monitor.start()
        try:
            host, port = str(self.monitor.http_url).split("//")[1].rsplit(":", 1)
            self.address = (host, int(port))
            self.source: Any = self.monitor.sources[0]
            _wait(lambda: self.monitor.pipeline.snapshot().sources[0].state == "connected", 20)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.monitor.stop()
        finally:
            logging.getLogger("sensor_tui").removeHandler(self._handler)
            threading.excepthook = self._hook

    def _thread_died(self, args: threading.ExceptHookArgs) -> None:
        self.report.crashes.append(f"thread {args.thread and args.thread.name}: {args.exc_value!r}")

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, n: int) -> None:
        """`n` inputs, a third through each source, all three at once."""
        started = time.perf_counter()
        share = n // 3
        jobs = [
            (self._http, (0, share)),
            (self._mqtt, (share, 2 * share)),
            (self._csv, (2 * share, n)),
        ]
        threads = [threading.Thread(target=job, args=span) for job, span in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.monitor.pipeline.flush(60)
        self.report.seconds = time.perf_counter() - started

    def _items(self, first: int, last: int) -> list[Drawn]:
        rng = random.Random(self.seed * 1_000_003 + first)
        return [(i, *draw_measurement(rng, i, self.valid_share)) for i in range(first, last)]

    def _judge(self, drawn: Drawn, accepted: bool, where: str) -> None:
        """Record the source's verdict on one item beside the generator's."""
        index, item, valid = drawn
        key = (item["tag"], canonical(BASE + index)) if valid else None
        with self._lock:
            if accepted != valid:
                self.report.misjudged.append(
                    f"{where} {'took' if accepted else 'refused'} {item}"[:300]
                )
            if accepted and key is not None:
                self.report.acknowledged += 1
                self.report.acknowledged_by[where] += 1
                self.expected[key] = float(item["value"])
            elif key is not None:
                self.refused.add(key)

    def _http(self, first: int, last: int) -> None:
        conn = http.client.HTTPConnection(*self.address, timeout=60)
        rng = random.Random(self.seed + first)
        items = self._items(first, last)
        self.report.inputs["http"] += len(items)
        for start in range(0, len(items), 50):
            chunk = items[start : start + 50]
            for _ in range(rng.randrange(6) if self.valid_share < 1 else 0):  # protocol fuzz
                self.send(conn, *hostile_request(rng))
                self.report.raw_requests += 1
            body = json.dumps({"measurements": [item for _, item, _ in chunk]}).encode()
            status, answer = self.send(conn, "POST", "/ingest/batch", body, JSON)
            if status not in (200, 400):
                continue  # 5xx (counted) or no answer: nothing was acknowledged
            listed = isinstance(answer.get("rejected"), list)
            refused = {r["index"] for r in answer["rejected"]} if listed else None
            for offset, drawn in enumerate(chunk):  # no list: the request itself was refused
                self._judge(drawn, refused is not None and offset not in refused, "http")
        conn.close()

    def send(
        self, conn: http.client.HTTPConnection, method: str, path: str, body: bytes, headers: dict
    ) -> tuple[int, dict[str, Any]]:
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            return 0, {}
        if response.status >= 500:
            with self._lock:
                self.report.server_errors += 1
        try:
            answer = json.loads(data) if data else {}
        except ValueError:
            answer = {}
        return response.status, answer if isinstance(answer, dict) else {}

    def _mqtt(self, first: int, last: int) -> None:
        items = self._items(first, last)
        self.report.inputs["mqtt"] += len(items)
        publisher = Publisher(self.mqtt_port, client_id=f"hostile-pub-{uuid.uuid4().hex[:6]}")
        try:
            for index, item, _ in items:
                payload = json.dumps(item if index % 2 else [item], ensure_ascii=index % 3 == 0)
                publisher.publish(f"{self.topic}/gateway", payload.encode("utf-8", "surrogatepass"))
            publisher.wait_all(120)
        finally:
            publisher.close()
        _wait(lambda: self.source.acked >= len(items), 120)
        for drawn in items:  # acknowledged by the monitor: stored, or rejected (the audit tells)
            self._judge(drawn, drawn[2], "mqtt")

    def _csv(self, first: int, last: int) -> None:
        items = self._items(first, last)
        self.report.inputs["csv"] += len(items)
        path = self.workdir / f"hostile-{first}.csv"
        with open(path, "w", encoding="utf-8", errors="replace", newline="") as handle:
            handle.write("timestamp,tag,value\n")
            for _, item, _ in items:
                handle.write(",".join(_cell(item[k]) for k in ("timestamp", "tag", "value")) + "\n")
        summary = import_csv(self.monitor.pipeline, path)
        valid = sum(1 for *_, ok in items if ok)
        taken = summary.rows - summary.rejected_total  # (stored: counters other sources share)
        if taken != valid:
            self.report.misjudged.append(f"csv took {taken} rows of {valid} valid ones")
        for drawn in items:
            self._judge(drawn, drawn[2], "csv")

    # -- the audit -------------------------------------------------------------------------

    def audit(self) -> Report:
        """Compare the database with what was acknowledged; ask /health."""
        conn = http.client.HTTPConnection(*self.address, timeout=30)
        self.report.health, _ = self.send(conn, "GET", "/health", b"", {})
        conn.close()
        now = canonical(int(time.time()) - 600)
        with sqlite3.connect(self.db) as db:
            rows = db.execute(
                "SELECT tag, timestamp, value, count(*) FROM measurements "
                "WHERE timestamp != '2026-01-01T00:00:00.000000Z' AND timestamp < ? "
                "GROUP BY tag, timestamp",
                (now,),
            ).fetchall()
        stored = {(tag, ts): value for tag, ts, value, _ in rows}
        self.report.stored_twice = sum(1 for *_, count in rows if count > 1)
        self.report.lost = [k for k in self.expected if k not in stored]
        self.report.rejected_stored = [k for k in stored if k not in self.expected]
        return self.report


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value) if value is not None else ""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _wait(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)
