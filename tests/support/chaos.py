"""The chaos machinery, shared by the fault tests and `benchmarks/chaos.py`.

Each cycle launches the process under test, lets clients send batches, injects one fault and
SIGKILLs (or SIGTERMs) it; the next cycle restarts it on the same database and dead-letter file,
so every restart replays what the last one dead-lettered. At the end `sensor-tui recover` runs
once and every acknowledged reading is looked up: stored exactly once, or counted lost/duplicated.

Faults in the mix: plain kill -9; kill -9 during a simulated outage (batches dead-lettered);
kill -9 while another process holds `BEGIN EXCLUSIVE` past the retry budget; SIGTERM during an
outage (must exit 0 with the queue flushed); kill -9 of `sensor-tui run --headless` (simulator).

Clients are pluggable (`Client`): `DriverClient` runs a Pipeline in a child process
(`chaos_driver.py`, beside this file). `HttpClient` posts to `sensor-tui run --headless --http`
(`--client http`); the ledger and the checks are the same for both.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tests.support.chaos_keys import batch_keys, batch_measurements
from tests.support.console import ingested

HERE = Path(__file__).resolve().parent

PYTHON = sys.executable
DRIVER = HERE / "chaos_driver.py"


# -- the ledger: what clients were told ------------------------------------------------------


@dataclass
class Ledger:
    """Every batch sent and every acknowledgement, from whatever client sent them."""

    batch_size: int
    sent: dict[tuple[int, int], int] = field(default_factory=dict)
    acked: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    nacked: int = 0
    audits: int = 0
    audit_failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, event: dict[str, Any]) -> None:
        """Take one driver/client event (`sent`, `ack`, `nack`)."""
        key = (event.get("run", -1), event.get("index", -1))
        with self.lock:
            if event["ev"] == "sent":
                self.sent[key] = event["n"]
            elif event["ev"] == "ack":
                self.acked[key] = event
            elif event["ev"] == "nack":
                self.nacked += 1
            elif event["ev"] == "stopped":
                self._audit(event)

    def _audit(self, c: dict[str, Any]) -> None:
        """A clean stop's counters must balance: every reading has exactly one outcome."""
        self.audits += 1
        outcomes = c["stored"] + c["duplicates"] + c["rejected"] + c["dead_lettered"]
        gap = c["received"] + c["replayed"] - outcomes - c["not_durable"]
        if gap or c["not_durable"]:
            self.audit_failures.append(f"counters off by {gap}, not durable {c['not_durable']}")

    def acked_keys(self) -> list[tuple[str, str]]:
        """(tag, timestamp) of every acknowledged valid reading."""
        return [k for run, index in self.acked for k in batch_keys(run, index, self.batch_size)]


@dataclass
class Tally:
    """The table the chaos run prints."""

    sent: int = 0
    acknowledged: int = 0
    stored: int = 0
    dead_lettered: int = 0
    rejected: int = 0
    lost: int = 0
    duplicated: int = 0
    crashes: int = 0
    kills: int = 0
    sigterms: int = 0
    cycles: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    sim_printed: int = 0
    sim_lost: int = 0
    audits: int = 0
    audit_failures: int = 0
    refused: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The targets: nothing acknowledged lost or duplicated, no uninjected crash."""
        bad = self.lost + self.duplicated + self.crashes + self.sim_lost + self.audit_failures
        return bad == 0


def verify(db: Path, ledger: Ledger, tally: Tally) -> None:
    """Look every acknowledged reading up in the database: once, or lost, or duplicated."""
    conn = sqlite3.connect(db)
    try:
        rows = Counter(conn.execute("SELECT tag, timestamp FROM measurements"))
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if integrity != "ok":
        tally.notes.append(f"integrity_check: {integrity}")
        tally.crashes += 1
    keys = ledger.acked_keys()
    tally.sent = sum(ledger.sent.values())
    tally.acknowledged = len(keys)
    tally.stored = sum(1 for k in keys if rows[k] >= 1)
    tally.lost = sum(1 for k in keys if rows[k] == 0)
    tally.duplicated = sum(rows[k] - 1 for k in keys if rows[k] > 1)
    tally.dead_lettered = sum(a.get("dl", 0) for a in ledger.acked.values())
    tally.rejected = sum(a.get("rejected", 0) for a in ledger.acked.values())
    tally.audits = ledger.audits
    tally.refused = ledger.nacked
    tally.audit_failures = len(ledger.audit_failures)
    tally.notes.extend(ledger.audit_failures)


# -- clients: the process under test plus whoever sends to it --------------------------------


class Run(Protocol):
    """One launched process under test."""

    proc: subprocess.Popen[bytes]

    def wait_ready(self, timeout: float) -> bool:
        """True once it accepts readings; False if it died or timed out first."""

    def finish(self) -> None:
        """After the process ended: stop senders, collect the last events into the ledger."""


class Client(Protocol):
    """Launches the process under test for run number `run`, with its senders."""

    name: str

    def launch(self, run: int, outage_chance: float) -> Run:
        """Start the process (and senders) for this run."""


class _LineReader:
    """Reads a child's stdout lines into a callback on a thread; tells when `ready` came."""

    def __init__(self, proc: subprocess.Popen[bytes], on_event: Callable[[dict], None]) -> None:
        self.proc = proc
        self.on_event = on_event
        self.ready = threading.Event()
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            text = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(text)
            try:
                event = json.loads(text)
            except ValueError:  # a line cut by the kill, or plain log text: not an ack
                if "Ingested" in text or "HTTP endpoint" in text:
                    self.ready.set()
                continue
            if isinstance(event, dict) and "ev" in event:
                if event["ev"] == "ready":
                    self.ready.set()
                self.on_event(event)


@dataclass
class DriverRun:
    """A `chaos_driver.py` child: pipeline and clients in one process."""

    proc: subprocess.Popen[bytes]
    reader: _LineReader

    def wait_ready(self, timeout: float) -> bool:
        """Wait for the driver's `ready` line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.reader.ready.wait(0.05):
                return True
            if self.proc.poll() is not None:
                return False
        return False

    def finish(self) -> None:
        """Read the rest of stdout (the child is dead, so it ends)."""
        self.reader.thread.join(10)


@dataclass
class DriverClient:
    """Runs a real Pipeline in a child process (`chaos_driver.py`); no HTTP needed."""

    workdir: Path
    ledger: Ledger
    clients: int = 3
    name: str = "pipeline"

    @property
    def db(self) -> Path:
        """The database every run shares."""
        return self.workdir / "chaos.db"

    @property
    def dead_letter(self) -> Path:
        """The dead-letter file every run shares."""
        return self.workdir / "chaos_dead_letter.jsonl"

    def launch(self, run: int, outage_chance: float) -> DriverRun:
        """Start the driver for this run."""
        cmd = [PYTHON, str(DRIVER), "--db", str(self.db), "--dead-letter", str(self.dead_letter)]
        cmd += ["--run", str(run), "--clients", str(self.clients)]
        cmd += ["--batch-size", str(self.ledger.batch_size)]
        cmd += ["--outage-chance", str(outage_chance)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr(run))
        return DriverRun(proc, _LineReader(proc, self.ledger.record))

    def _stderr(self, run: int) -> Any:
        return open(self.workdir / f"run{run % 5}.stderr", "wb")


@dataclass
class HttpRun:
    """`sensor-tui run --headless --no-sim --http PORT` and sender threads in this process."""

    proc: subprocess.Popen[bytes]
    reader: _LineReader
    url: str
    ledger: Ledger
    run: int
    senders: int
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until /health answers, then start the senders."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).close()
            except urllib.error.HTTPError:
                pass  # 503 during an outage is still an answer
            except OSError:
                time.sleep(0.05)
                continue
            for s in range(self.senders):
                t = threading.Thread(target=self._send, args=(s,), daemon=True)
                t.start()
                self.threads.append(t)
            return True
        return False

    def _send(self, sender: int) -> None:
        count = 0
        while not self.stop.is_set():
            index = count * self.senders + sender
            count += 1
            items = batch_measurements(self.run, index, self.ledger.batch_size)
            self.ledger.record({"ev": "sent", "run": self.run, "index": index, "n": len(items)})
            body = json.dumps({"measurements": items}).encode()
            request = urllib.request.Request(
                self.url + "/ingest/batch", body, {"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = json.load(response)
            except (OSError, ValueError):
                if self.proc.poll() is not None:
                    return
                continue
            self.ledger.record(
                {
                    "ev": "ack",
                    "run": self.run,
                    "index": index,
                    "rejected": len(answer.get("rejected", [])),
                    "dl": 0,
                }
            )

    def finish(self) -> None:
        """Stop the senders (their in-flight requests fail: never acked)."""
        self.stop.set()
        for t in self.threads:
            t.join(35)
        self.reader.thread.join(10)


@dataclass
class HttpClient:
    """The HTTP version of the same check (the HTTP endpoint); only when `sensor_tui.http` exists.

    Hooks for the HTTP-only faults (hostile bodies, slow and half-open clients) belong here too:
    they need the endpoint and are left to the HTTP tests.
    """

    workdir: Path
    ledger: Ledger
    clients: int = 3
    name: str = "http"

    db = DriverClient.db
    dead_letter = DriverClient.dead_letter

    @staticmethod
    def available() -> bool:
        """True when this build has the HTTP endpoint."""
        return importlib.util.find_spec("sensor_tui.http") is not None

    def launch(self, run: int, outage_chance: float) -> HttpRun:
        """Start the monitor with HTTP on a free port (outages come from the lock holder)."""
        port = _free_port()
        cmd = [PYTHON, "-m", "sensor_tui", "run", "--headless", "--no-sim"]
        cmd += ["--db", str(self.db), "--dead-letter", str(self.dead_letter)]
        cmd += ["--http", f"127.0.0.1:{port}"]
        err = open(self.workdir / f"run{run % 5}.stderr", "wb")  # noqa: SIM115
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        reader = _LineReader(proc, lambda event: None)
        return HttpRun(proc, reader, f"http://127.0.0.1:{port}", self.ledger, run, self.clients)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- faults ------------------------------------------------------------------------------------


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


class LockHolder:
    """Another process holding `BEGIN EXCLUSIVE` on the database for `seconds`."""

    def __init__(self, db: Path, seconds: float) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, "-c", LOCKER, str(db), str(seconds)], stdout=subprocess.PIPE
        )
        assert self.proc.stdout is not None
        self.locked = self.proc.stdout.readline().strip() == b"locked"

    def release(self) -> None:
        """End the lock now (if still held) and reap the process."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_headless_kill(workdir: Path, rng: random.Random, tally: Tally) -> None:
    """kill -9 `sensor-tui run --headless` with the simulator; committed batches must survive."""
    db = workdir / "sim.db"
    before = _count(db)
    cmd = [PYTHON, "-m", "sensor_tui", "run", "--headless", "--interval", "0.02", "--db", str(db)]
    err = open(workdir / "sim.stderr", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
    printed = Counter[str]()

    def on_line(text: str) -> None:
        printed["n"] += ingested(text)

    reader = _LineReader(proc, lambda event: None)
    if not reader.ready.wait(20):
        tally.crashes += proc.poll() is not None
        tally.notes.append("headless monitor did not start")
    time.sleep(rng.uniform(0.0, 0.6))
    _kill(proc, signal.SIGKILL, tally)
    reader.thread.join(10)
    for text in reader.lines:
        on_line(text)
    after = _count(db)
    _scan_stderr(workdir / "sim.stderr", tally)
    tally.sim_printed += printed["n"]
    tally.sim_lost += max(0, before + printed["n"] - after)


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute("SELECT count(*) FROM measurements").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def _kill(proc: subprocess.Popen[bytes], sig: int, tally: Tally) -> None:
    """Send the injected signal; an earlier exit is an uninjected crash."""
    if proc.poll() is not None:
        tally.crashes += 1
        tally.notes.append(f"process exited by itself with {proc.returncode}")
        return
    proc.send_signal(sig)
    code = proc.wait(60)
    expected = -signal.SIGKILL if sig == signal.SIGKILL else 0
    if code != expected:
        tally.crashes += 1
        tally.notes.append(f"exit {code} after signal {sig} (expected {expected})")
    if sig == signal.SIGKILL:
        tally.kills += 1
    else:
        tally.sigterms += 1


FAULTS = (
    ("kill", 4),
    ("outage-kill", 3),
    ("dead-letter-blocked", 2),
    ("lock-kill", 1),
    ("locked-start", 1),
    ("early-kill", 1),
    ("sigterm-outage", 1),
    ("sim-kill", 1),
)
"""The mix: (fault, weight). Every cycle ends with SIGKILL except sigterm-outage."""


def one_cycle(client: Client, workdir: Path, run: int, rng: random.Random, tally: Tally) -> None:
    """Launch, inject one fault from the mix, end the run."""
    fault = rng.choices([f for f, _ in FAULTS], [w for _, w in FAULTS])[0]
    tally.faults[fault] += 1
    tally.cycles += 1
    if fault == "sim-kill":
        run_headless_kill(workdir, rng, tally)
        return
    db = client.db  # type: ignore[attr-defined]
    locker = LockHolder(db, 1.2) if fault == "locked-start" and db.exists() else None
    outage = 0.3 if fault in ("outage-kill", "sigterm-outage", "dead-letter-blocked") else 0.0
    handle = client.launch(run, outage)
    if fault == "early-kill":  # during imports, the start-up replay or the first batches
        time.sleep(rng.uniform(0.1, 1.0))
    elif not handle.wait_ready(30):
        handle.proc.kill()
        handle.proc.wait()
        handle.finish()
        tally.crashes += 1
        tally.notes.append(f"run {run} ({fault}) did not start")
        return
    else:
        locker = _inject(fault, client, workdir, run, rng) or locker
    sig = signal.SIGTERM if fault == "sigterm-outage" else signal.SIGKILL
    _kill(handle.proc, sig, tally)
    handle.finish()
    if locker is not None:
        locker.release()
    _scan_stderr(workdir / f"run{run % 5}.stderr", tally)


def _inject(
    fault: str, client: Client, workdir: Path, run: int, rng: random.Random
) -> LockHolder | None:
    """The fault's middle part, while clients send; returns a lock still to release."""
    if fault == "lock-kill":
        locker = LockHolder(client.db, 5.0)  # type: ignore[attr-defined]
        time.sleep(rng.uniform(3.0, 4.5))  # past the driver's retry budget: dead-lettering
        return locker
    if fault == "dead-letter-blocked":
        block_dead_letter(client.dead_letter, workdir / f"aside-{run}.jsonl", rng)  # type: ignore[attr-defined]
    time.sleep(rng.uniform(0.05, 0.8))
    return None


def block_dead_letter(path: Path, aside: Path, rng: random.Random) -> None:
    """Make the dead-letter file unwritable for a while, during outages: its lines move to
    `aside` (replayed at the end) and a directory takes its place, so every append fails."""
    with contextlib.suppress(FileNotFoundError):
        os.rename(path, aside)
    try:
        path.mkdir()
    except FileExistsError:  # the monitor recreated the file in between: no block this time
        return
    time.sleep(rng.uniform(0.3, 1.0))
    path.rmdir()


def _scan_stderr(path: Path, tally: Tally) -> None:
    """A traceback in a child's stderr is a crash of some thread, even if the process lived."""
    text = path.read_text(errors="replace") if path.exists() else ""
    if "Traceback" in text:
        tally.crashes += 1
        tally.notes.append(f"traceback in {path.name}: {text.strip().splitlines()[-1]}")


def recover(db: Path, dead_letter: Path) -> str:
    """The operator's `sensor-tui recover`, as a real command."""
    cmd = [PYTHON, "-m", "sensor_tui", "recover", "--db", str(db), "--dead-letter"]
    done = subprocess.run([*cmd, str(dead_letter)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"recover failed: {done.stderr.strip()}")
    return done.stdout.strip()


def chaos(
    workdir: Path,
    kills: int,
    seconds: float,
    seed: int = 5,
    client_name: str = "pipeline",
    batch_size: int = 20,
) -> Tally:
    """Run cycles until `kills` kill -9 restarts are done or `seconds` pass; then verify."""
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    ledger = Ledger(batch_size)
    client: Any = (HttpClient if client_name == "http" else DriverClient)(workdir, ledger)
    tally = Tally()
    deadline = time.monotonic() + seconds
    run = 0
    while tally.kills < kills and time.monotonic() < deadline:
        run += 1
        one_cycle(client, workdir, run, rng, tally)
    tally.notes.append(recover(client.db, client.dead_letter))
    for aside in sorted(workdir.glob("aside-*.jsonl")):
        recover(client.db, aside)
    verify(client.db, ledger, tally)
    return tally
