"""The measured phases of `benchmarks/forward.py` (rate, ingest, outage, view fill)."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: tests.support

from tests.support.postgres import Cluster

from sensor_tui.model.readings import Reading, format_ts
from sensor_tui.model.tags import load_config
from sensor_tui.pipeline import Pipeline
from sensor_tui.pipeline.forward import Forwarder, ForwardSettings
from sensor_tui.storage import Store
from sensor_tui.storage.historian import schema

START = datetime(2026, 1, 15, tzinfo=UTC)
TAGS = ("fermenter_temp", "fermenter_ph", "agitator_rpm")


def rows_of(first: int, seconds: int) -> list[tuple[Any, ...]]:
    """Rows in `Reading.as_row` order: `seconds` of the three tags at 1 Hz from `first`."""
    return [
        (format_ts(START + timedelta(seconds=s)), tag, 36.0 + (s % 50) * 0.01, 0, 0.1, "", "bench")
        for s in range(first, first + seconds)
        for tag in TAGS
    ]


def _forward_until_done(db: Path, url: str, site: str, total: int) -> float:
    """Seconds for a forwarder to send a file's `total` readings (pipeline idle)."""
    config = replace(load_config(None), site=site)
    pipe = Pipeline(config, db)
    pipe.start()
    fwd = Forwarder(ForwardSettings(url, site, idle=0.01), db, config, pipe.counters,
                    pipe.run_on_writer)  # fmt: skip
    started = time.perf_counter()
    fwd.start()
    while fwd.forwarded < total:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    fwd.stop()
    pipe.stop()
    return elapsed


def rate_phase(cluster: Cluster, url: str, work: Path, total_rows: int) -> dict[str, Any]:
    """Forwarding rate against plain COPY of the same rows into the same table."""
    rows = rows_of(0, total_rows // 3)
    db = work / "rate.db"
    store = Store(db, load_config(None))
    for i in range(0, len(rows), 50_000):
        store.write_rows(rows[i : i + 50_000])
    store.close()
    baseline_url = cluster.create_database("bench_rate_copy")
    with psycopg.connect(baseline_url) as conn:
        schema.migrate(conn)
        with conn.cursor() as cur, conn.transaction():
            schema.ensure_partitions(cur, {date.fromisoformat(r[0][:10]) for r in rows}, set())
        started = time.perf_counter()
        sql = "COPY readings (site, ts, tag, value, is_anomaly, score, kind, source) FROM STDIN"
        with conn.cursor() as cur, conn.transaction(), cur.copy(sql) as copy:
            for ts, tag, value, flag, score, kind, source in rows:
                copy.write_row(("copy", ts, tag, value, bool(flag), score, kind, source))
        copy_s = time.perf_counter() - started
    forward_s = _forward_until_done(db, url, "rate", len(rows))
    return {
        "rows": len(rows),
        "plain_copy_per_s": round(len(rows) / copy_s),
        "forward_per_s": round(len(rows) / forward_s),
        "ratio": round(copy_s / forward_s, 2),
        "target": ">= 0.5",
    }


def _ingest(db: Path, url: str | None, total: int) -> float:
    """Readings per second through a pipeline (batches of 1,000), with or without a forwarder."""
    config = replace(load_config(None), site="ingest")
    pipe = Pipeline(config, db)
    pipe.start()
    fwd = None
    if url:
        # the monitor's own settings (`run --forward`): batches of what gathered in 0.25 s
        fwd = Forwarder(ForwardSettings(url, "ingest"), db, config, pipe.counters,
                        pipe.run_on_writer)  # fmt: skip
        fwd.start()
    per_batch = 1000 // len(TAGS)
    started = time.perf_counter()
    for first in range(0, total // len(TAGS), per_batch):
        batch = [Reading(r[1], r[0], r[2], source="bench") for r in rows_of(first, per_batch)]
        pipe.submit_readings(batch)
    pipe.flush(120)
    elapsed = time.perf_counter() - started
    if fwd is not None:
        fwd.stop()
    pipe.stop()
    return total / elapsed


def ingest_phase(url: str, work: Path, total: int) -> dict[str, Any]:
    """Edge ingest with forwarding on against off (off first, then on, then off again)."""
    off1 = _ingest(work / "ingest_off1.db", None, total)
    on = _ingest(work / "ingest_on.db", url, total)
    off2 = _ingest(work / "ingest_off2.db", None, total)
    off = (off1 + off2) / 2
    return {
        "readings": total,
        "off_per_s": round(off),
        "off_runs_per_s": [round(off1), round(off2)],
        "on_per_s": round(on),
        "ratio": round(on / off, 2),
        "target": ">= 0.8",
    }


class PacedEdge:
    """An in-process edge (pipeline + forwarder) fed `rate` readings/s by a thread."""

    def __init__(self, site: str, db: Path, url: str, rate: int) -> None:
        self.config = replace(load_config(None), site=site)
        self.pipe = Pipeline(self.config, db)
        self.fwd = Forwarder(ForwardSettings(url, site, idle=0.05, retry_max=2.0), db,
                             self.config, self.pipe.counters, self.pipe.run_on_writer)  # fmt: skip
        self.rate = rate
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._feed, daemon=True)
        self.fed = 0

    def start(self) -> None:
        self.pipe.start()
        self.fwd.start()
        self.thread.start()

    def _feed(self) -> None:
        step, t0, second = 0.1, time.monotonic(), 0
        per_tick = self.rate // len(TAGS) // 10  # steps per 0.1 s
        base = datetime.now(UTC)
        while not self.stop.is_set():
            rows = []
            for k in range(per_tick):
                stamp = format_ts(base + timedelta(seconds=second * step + k * step / per_tick))
                rows += [Reading(tag, stamp, 36.0 + k * 0.001, source="bench") for tag in TAGS]
            self.pipe.submit_readings(rows)
            self.fed += len(rows)
            second += 1
            time.sleep(max(0.0, t0 + second * step - time.monotonic()))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.pipe.flush(60)
        self.fwd.stop()
        self.pipe.stop()


def outage_phase(cluster: Cluster, url: str, work: Path, outage: float) -> dict[str, Any]:
    """3 edges at 1,000 readings/s, the historian stopped for `outage` s: the drain time."""
    edges = [PacedEdge(f"site{i}", work / f"outage{i}.db", url, 1000) for i in range(3)]
    for e in edges:
        e.start()
    time.sleep(5)
    cluster.stop()
    stopped = time.monotonic()
    while time.monotonic() - stopped < outage:
        time.sleep(min(5.0, outage))
        texts = "; ".join(f"{e.config.site} {e.pipe.snapshot().forward_text}" for e in edges)
        print(f"  +{time.monotonic() - stopped:5.0f}s {texts}", file=sys.stderr, flush=True)
    peak = sum(e.pipe.snapshot().forward_backlog for e in edges)
    cluster.start()
    back = time.monotonic()
    while any(e.pipe.snapshot().forward_since or e.fwd.backlog > 3000 for e in edges):
        time.sleep(0.2)
    drain_s = time.monotonic() - back
    fed = sum(e.fed for e in edges)
    for e in edges:
        e.close()
    return {
        "edges": 3,
        "rate_per_edge": 1000,
        "outage_s": outage,
        "backlog_at_return": peak,
        "drain_s": round(drain_s, 1),
        "drain_readings_per_s_above_live": round(peak / drain_s) if drain_s else None,
        "readings_fed": fed,
    }


def view_phase(url: str, days: int) -> dict[str, Any]:
    """Fill the historian: 3 sites x 3 tags x 1 Hz x `days` days, rollups included."""
    first = datetime(2026, 1, 1, tzinfo=UTC)
    with psycopg.connect(url) as conn:
        schema.migrate(conn)
        with conn.cursor() as cur, conn.transaction():
            schema.ensure_partitions(cur, {(first + timedelta(days=d)).date()
                                           for d in range(days)}, set())  # fmt: skip
        for site in ("site0", "site1", "site2"):
            with conn.transaction():
                conn.execute(
                    "INSERT INTO tags (site, name, unit)"
                    " SELECT %s, t, '' FROM unnest(%s::text[]) t",
                    (site, list(TAGS)),
                )
                conn.execute(
                    "INSERT INTO readings (site, tag, ts, value, is_anomaly, score, kind, source)"
                    " SELECT %s, t, %s + s * interval '1 second', 36 + random(), false, 0.1, '',"
                    " 'bench' FROM unnest(%s::text[]) t, generate_series(0, %s - 1) s",
                    (site, first, list(TAGS), days * 86_400),
                )
            print(f"  filled {site}", file=sys.stderr, flush=True)
        for table, unit in (("rollup_minute", "minute"), ("rollup_hour", "hour")):
            with conn.transaction():
                conn.execute(
                    f"INSERT INTO {table} SELECT site, tag, date_trunc('{unit}', ts) b, min(value),"
                    " max(value), sum(value), count(*), 0 FROM readings GROUP BY site, tag, b"
                )
        conn.execute("ANALYZE")
        return storage_figures(conn)


def storage_figures(conn: Any) -> dict[str, Any]:
    """Bytes on disk per stored reading (heap + primary key), and of the rollups."""
    count = int(conn.execute("SELECT count(*) FROM readings").fetchone()[0])
    size = conn.execute(
        "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
        " WHERE inhparent = 'readings'::regclass"
    ).fetchone()[0]
    size = int(size)
    rollups = conn.execute(
        "SELECT pg_total_relation_size('rollup_minute') + pg_total_relation_size('rollup_hour')"
    ).fetchone()[0]
    rollups = int(rollups)
    return {
        "readings": count,
        "readings_bytes": int(size),
        "bytes_per_reading": round(size / count, 1),
        "rollup_bytes_per_reading": round(rollups / count, 2),
    }
