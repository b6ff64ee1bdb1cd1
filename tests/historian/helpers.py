"""Shared by the historian tests: an edge (pipeline + forwarder) and the comparison of what an
edge's SQLite file holds with what the historian holds, by count and hash per (site, tag)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from sensor_tui.model.readings import Reading, format_ts
from sensor_tui.model.tags import Config
from sensor_tui.pipeline import Pipeline, RetryPolicy
from sensor_tui.pipeline.forward import Forwarder, ForwardSettings

START = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


def readings(tags: tuple[str, ...], first: int, count: int) -> list[Reading]:
    """`count` seconds of readings per tag from second `first` after START."""
    return [
        Reading(tag, format_ts(START + timedelta(seconds=s)), 36.0 + (s % 7) * 0.1, source="test")
        for s in range(first, first + count)
        for tag in tags
    ]


@contextmanager
def edge(
    config: Config, db: Path, url: str, batch_rows: int = 20_000
) -> Iterator[tuple[Pipeline, Forwarder]]:
    """A started pipeline with a forwarder; both stopped afterwards (forwarder first)."""
    pipe = Pipeline(config, db, retry=RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.05))
    pipe.start()
    fwd = Forwarder(
        ForwardSettings(url, config.site, batch_rows=batch_rows, idle=0.05, retry_max=0.3),
        db, config, pipe.counters, pipe.run_on_writer,
    )  # fmt: skip
    fwd.start()
    try:
        yield pipe, fwd
    finally:
        fwd.stop()
        pipe.stop()


def local_digest(db: Path) -> dict[str, tuple[int, str]]:
    """Per tag of an edge's file: (count, sha256 of 'timestamp value' lines in time order)."""
    conn = sqlite3.connect(db)
    try:
        out: dict[str, tuple[int, str]] = {}
        for (tag,) in conn.execute("SELECT DISTINCT tag FROM measurements"):
            rows = conn.execute(
                "SELECT timestamp, value FROM measurements WHERE tag = ? ORDER BY timestamp",
                (tag,),
            )
            out[tag] = _digest(f"{ts[:26]} {value!r}" for ts, value in rows)
        return out
    finally:
        conn.close()


def historian_digest(url: str, site: str) -> dict[str, tuple[int, str]]:
    """The same digest of one site's readings in the historian."""
    with psycopg.connect(url) as conn:
        tags = [r[0] for r in conn.execute("SELECT DISTINCT tag FROM readings WHERE site = %s",
                                           (site,))]  # fmt: skip
        out: dict[str, tuple[int, str]] = {}
        for tag in tags:
            rows = conn.execute(
                "SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), value"
                " FROM readings WHERE site = %s AND tag = %s ORDER BY ts",
                (site, tag),
            )
            out[tag] = _digest(f"{ts} {value!r}" for ts, value in rows)
        return out


def _digest(lines: Iterator[str] | object) -> tuple[int, str]:
    h = hashlib.sha256()
    n = 0
    for line in lines:  # type: ignore[attr-defined]
        h.update(line.encode() + b"\n")
        n += 1
    return n, h.hexdigest()
