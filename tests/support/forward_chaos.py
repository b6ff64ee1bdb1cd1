"""Kill -9 restarts of edge monitors and restarts of PostgreSQL while they forward, then the
comparison of every edge's SQLite file with the historian: counts and a hash per (site, tag).

Shared by `benchmarks/forward.py` (20 edge kills, 5 PostgreSQL restarts) and a short variant in
`tests/historian/`. The edges are real `sensor-tui run --headless --forward` processes with the
simulator; what an edge stored is its truth, and the historian must hold exactly that.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from sensor_tui.model.tags import load_config
from tests.historian.helpers import edge, historian_digest, local_digest
from tests.support.postgres import Cluster


class EdgeProcess:
    """`sensor-tui run --headless --forward URL --site NAME` on its own file."""

    def __init__(self, site: str, workdir: Path, url: str, interval: float) -> None:
        self.site, self.db = site, workdir / f"{site}.db"
        self.args = [
            sys.executable, "-m", "sensor_tui", "run", "--headless", "--interval", str(interval),
            "--db", str(self.db), "--forward", url, "--site", site,
        ]  # fmt: skip
        self.log = workdir / f"{site}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no flush, no watermark saved, no goodbye
        self.proc.wait(30)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)


def drain(db: Path, site: str, url: str, timeout: float = 120) -> None:
    """Forward what an edge's file holds and the historian lacks (an edge restarted for the
    purpose, without sources), until nothing is left."""
    config = replace(load_config(None), site=site)
    with edge(config, db, url) as (pipe, fwd):
        deadline = time.monotonic() + timeout
        while not (pipe.snapshot().forward_up and fwd.backlog == 0 and fwd.forwarded >= 0):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{site}: {fwd.backlog} readings never reached the historian")
            time.sleep(0.1)
        time.sleep(0.5)  # one more round for alarms


def chaos(
    cluster: Cluster,
    url: str,
    workdir: Path,
    edges: int = 2,
    kills: int = 20,
    pg_restarts: int = 5,
    interval: float = 0.005,
    pause: tuple[float, float] = (0.4, 1.2),
    seed: int = 1,
) -> dict[str, Any]:
    """Run the edges, kill -9 one at random `kills` times and restart PostgreSQL `pg_restarts`
    times in between; then drain and compare. Returns counts, lost, duplicated, mismatches."""
    rng = random.Random(seed)
    procs = [EdgeProcess(f"edge{i}", workdir, url, interval) for i in range(edges)]
    for proc in procs:
        proc.start()
    every = max(1, kills // max(1, pg_restarts))
    restarted = 0
    started = time.monotonic()
    try:
        for n in range(1, kills + 1):
            time.sleep(rng.uniform(*pause))
            victim = rng.choice(procs)
            victim.kill()
            victim.start()
            if restarted < pg_restarts and n % every == 0:
                cluster.restart()
                restarted += 1
        time.sleep(pause[1])
    finally:
        for proc in procs:
            proc.stop()
    for proc in procs:
        drain(proc.db, proc.site, url)
    return {"seconds": round(time.monotonic() - started, 1), **compare(procs, url),
            "edge_kills": kills, "pg_restarts": restarted}  # fmt: skip


def compare(procs: list[EdgeProcess], url: str) -> dict[str, Any]:
    """Counts and hashes per (site, tag): local file against historian."""
    import psycopg

    local_total = central_total = 0
    mismatched = []
    for proc in procs:
        local, central = local_digest(proc.db), historian_digest(url, proc.site)
        local_total += sum(n for n, _ in local.values())
        central_total += sum(n for n, _ in central.values())
        mismatched += [f"{proc.site}/{t}" for t in set(local) | set(central)
                       if local.get(t) != central.get(t)]  # fmt: skip
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
        distinct = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT site, tag, ts FROM readings) d"
        ).fetchone()[0]
    return {
        "readings_local": local_total,
        "readings_historian": central_total,
        "lost": max(0, local_total - central_total),
        "duplicated": rows - distinct,
        "mismatched_tags": sorted(mismatched),
    }
