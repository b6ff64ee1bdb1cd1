"""Issue 5 fault suite with real processes: locks, signals, deletion, read-only directory,
full disk, kill -9. Every loop is bounded; every child is reaped."""

from __future__ import annotations

import os
import pwd
import resource
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.helpers import (
    PYTHON,
    Driver,
    Headless,
    LockHolder,
    acked_keys,
    db_keys,
    sensor_tui,
    wait_until,
)
from tests.support.chaos import DRIVER
from tests.support.chaos_keys import batch_keys
from tests.support.console import ingested

BATCH = 20


def exactly_once(db: Path, keys: list[tuple[str, str]]) -> None:
    """Every key is in the database once."""
    rows = Counter(db_keys(db))
    missing = [k for k in keys if rows[k] == 0]
    doubled = [k for k in keys if rows[k] > 1]
    assert not missing and not doubled, (len(missing), len(doubled))


def _seen(driver: Driver, since: int, *kinds: str) -> Callable[[], bool]:
    """A predicate: the driver printed an event of one of `kinds` after its first `since`
    events (`dl`: an ack whose readings went to the dead-letter file)."""

    def seen() -> bool:
        for event in driver.events[since:]:
            if event["ev"] in kinds or ("dl" in kinds and event["ev"] == "ack" and event["dl"]):
                return True
        return False

    return seen


def test_lock_past_retry_budget_then_recover(tmp_path: Path) -> None:
    """BEGIN EXCLUSIVE held by another process past the budget: acked readings go to the
    dead-letter file; after release `sensor-tui recover` stores every one exactly once."""
    db, dl = tmp_path / "t.db", tmp_path / "failed.jsonl"
    driver = Driver(db, dl, clients=2, batch_size=BATCH, retry_attempts=2, retry_base=0.02)
    holder = LockHolder(db, 30)
    try:
        assert holder.locked
        wait_until(lambda: dl.exists() and dl.stat().st_size > 0, 15)
        driver.proc.send_signal(signal.SIGTERM)
        code, err = driver.finish()
    finally:
        holder.release()
    assert code == 0, err
    stopped = driver.stopped()
    assert stopped["dead_lettered"] > 0 and stopped["write_failures"] > 0
    assert stopped["not_durable"] == 0
    done = sensor_tui("recover", "--db", str(db), "--dead-letter", str(dl))
    assert done.returncode == 0, done.stderr
    exactly_once(db, acked_keys(driver, BATCH))
    assert dl.read_text() == ""


def test_lock_then_restart_replays(tmp_path: Path) -> None:
    """Same, released by a restart: the next start replays the dead-letter file."""
    db, dl = tmp_path / "t.db", tmp_path / "failed.jsonl"
    first = Driver(db, dl, run=1, clients=2, batch_size=BATCH, retry_attempts=2)
    holder = LockHolder(db, 30)
    try:
        # the acknowledgement, not the file: a kill between fsync and ack left none
        wait_until(_seen(first, 0, "dl"), 30)
        first.proc.kill()
        first.finish()
    finally:
        holder.release()
    second = Driver(db, dl, run=2, clients=1, batch_size=BATCH, batches=3)
    assert second.finish()[0] == 0
    exactly_once(db, acked_keys(first, BATCH) + acked_keys(second, BATCH))
    assert any(e["dl"] for e in first.acked())
    assert dl.read_text() == ""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_during_outage_flushes_to_dead_letter(tmp_path: Path, sig: int) -> None:
    """Quitting while the database is locked: the retry queue goes to the dead-letter file
    before exit, and after release nothing the simulator produced is missing."""
    db, dl = tmp_path / "t.db", tmp_path / "failed_measurements.jsonl"
    monitor = Headless(db, "--interval", "0.05", "--seed", "1")
    holder = None
    try:
        monitor.wait_for("Ingested")
        holder = LockHolder(db, 30)
        monitor.wait_for("waiting for retry", 10)
        monitor.proc.send_signal(sig)
        code, err = monitor.finish()
    finally:
        if holder is not None:
            holder.release()
        monitor.proc.kill()
    assert code == 0, err
    counts = monitor.stopped_counts()
    assert counts["dead-lettered"] > 0
    assert len(dl.read_text().splitlines()) == counts["dead-lettered"]
    assert "Traceback" not in err and "NOT stored" not in err
    assert sensor_tui("recover", "--db", str(db)).returncode == 0
    assert len(db_keys(db)) == counts["stored"] + counts["dead-lettered"]


def test_headless_database_deleted_while_running(tmp_path: Path) -> None:
    """The seed's exercise on the real command: no crash, and writing goes on in a new file."""
    db = tmp_path / "t.db"
    monitor = Headless(db, "--interval", "0.05", "--duration", "4")
    wait_until(lambda: sum("Ingested" in line for line in monitor.lines) >= 3, 30)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    deleted_at = len(monitor.lines)
    code, err = monitor.finish()
    assert code == 0 and "Traceback" not in err, err
    after = sum(ingested(line) for line in monitor.lines[deleted_at:])
    rows = db_keys(db)
    assert after > 0 and len(rows) >= after and len(set(rows)) == len(rows)
    assert monitor.stopped_counts()["dead-lettered"] == 0 or (tmp_path / "t.db").exists()


AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def _unprivileged() -> list[str] | None:
    """A command prefix for a child that a read-only directory really stops (root ignores
    directory modes); None when that cannot be arranged here."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    return AS_NOBODY if shutil.which("setpriv") else None


def _child_cannot_run(prefix: list[str], script: Path = DRIVER) -> str | None:
    """Why a child started with `prefix` cannot run the monitor from this checkout, or None.

    A clone under a directory other users cannot enter (/root, mode 700: the usual fresh
    container, as root) is out of reach of `nobody`: its interpreter, the package and the
    driver script cannot be read.
    """
    probe = f"import sensor_tui; open({str(script)!r}).close()"
    try:
        done = subprocess.run(
            [*prefix, PYTHON, "-c", probe], capture_output=True, text=True, timeout=60
        )
    except OSError as exc:
        return f"the unprivileged child cannot start: {exc}"
    if done.returncode == 0:
        return None
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    return (
        f"the child runs as 'nobody', who cannot use this checkout ({script.parents[2]}) or "
        f"its Python ({PYTHON}); is it under a directory other users cannot enter? ({last})"
    )


def _workdir_a_child_can_lose(request: pytest.FixtureRequest) -> tuple[list[str], Path]:
    """The child's command prefix and a directory whose read-only mode really stops it.

    pytest's tmp_path lives under a root-only directory, so the child (maybe `nobody`) gets a
    directory of its own, removed after the test. Skips when no such child can be arranged.
    """
    prefix = _unprivileged()
    if prefix is None:
        pytest.skip(
            "root without setpriv and a 'nobody' user: no way to make a directory read-only"
        )
    if prefix:
        reason = _child_cannot_run(prefix)
        if reason:
            pytest.skip(reason)
    work = Path(tempfile.mkdtemp(prefix="sensor-tui-ro-"))
    request.addfinalizer(lambda: shutil.rmtree(work, ignore_errors=True))
    if prefix:
        shutil.chown(work, "nobody")
    return prefix, work


def test_unreadable_checkout_is_a_skip_reason_not_a_failure(tmp_path: Path) -> None:
    """The probe finds a script `nobody` cannot read (a mode-700 directory, like /root) and says
    why; on a readable checkout it finds nothing."""
    prefix = _unprivileged()
    if not prefix:
        pytest.skip("needs root, setpriv and a 'nobody' user")
    if _child_cannot_run(prefix) is not None:
        pytest.skip(_child_cannot_run(prefix) or "")
    private = tmp_path / "private" / "tests" / "support"
    private.mkdir(parents=True)
    (private / "chaos_driver.py").write_text("")
    private.parent.chmod(0o700)
    reason = _child_cannot_run(prefix, private / "chaos_driver.py")
    assert reason is not None and "nobody" in reason and "Permission denied" in reason


def test_directory_read_only_and_database_deleted(request: pytest.FixtureRequest) -> None:
    """Database deleted and its directory made read-only while running: the Store cannot
    reopen, the dead-letter file cannot be created either. Senders are told (nack), readings
    are kept, and once the directory is writable again every reading is stored; no crash."""
    prefix, work = _workdir_a_child_can_lose(request)
    db, dl = work / "t.db", work / "failed.jsonl"
    driver = Driver(db, dl, clients=2, batch_size=BATCH, retry_attempts=2, prefix=prefix)
    try:
        wait_until(lambda: db.exists(), 10)
        work.chmod(0o555)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        wait_until(_seen(driver, 0, "nack"), 30)
        # acks before this point may be for rows in the deleted file (the operator's loss)
        after_deletion = len(driver.events)
        work.chmod(0o755)
        wait_until(_seen(driver, after_deletion, "ack"), 30)
        driver.proc.send_signal(signal.SIGTERM)
        code, err = driver.finish()
    finally:
        work.chmod(0o755)
        driver.proc.kill()
    assert code == 0 and "Traceback" not in err, err
    stopped = driver.stopped()
    nacks = [e for e in driver.events if e["ev"] == "nack"]
    assert stopped["write_failures"] > 0 and nacks, stopped
    assert stopped["not_durable"] == 0
    assert sensor_tui("recover", "--db", str(db), "--dead-letter", str(dl)).returncode == 0
    later = [e for e in driver.events[after_deletion:] if e["ev"] == "ack"]
    assert later
    exactly_once(db, [k for e in later for k in batch_keys(e["run"], e["index"], BATCH)])
    # the refused batches were kept in memory and stored once the directory came back
    exactly_once(db, [k for e in nacks for k in batch_keys(e["run"], e["index"], BATCH)])


def test_headless_directory_read_only_and_database_deleted(
    request: pytest.FixtureRequest,
) -> None:
    """The real command through the same fault: the outage shows on the console, no crash,
    and the simulator's readings are stored again once the directory is writable."""
    prefix, work = _workdir_a_child_can_lose(request)
    db = work / "t.db"
    monitor = Headless(db, "--interval", "0.05", prefix=prefix)
    try:
        monitor.wait_for("Ingested")
        work.chmod(0o555)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        monitor.wait_for("Database unavailable", 10)
        work.chmod(0o755)
        monitor.wait_for("writes succeed again", 15)
        monitor.proc.send_signal(signal.SIGTERM)
        code, err = monitor.finish()
    finally:
        work.chmod(0o755)
        monitor.proc.kill()
    assert code == 0 and "Traceback" not in err, err
    assert "NOT stored" not in err
    assert len(db_keys(db)) > 0


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


def _fill(path: Path) -> None:
    """Write until the filesystem is full (raw writes: nothing buffered fails later)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass
    finally:
        os.close(fd)


def test_full_disk(tmp_path: Path) -> None:
    """Database and dead-letter file on a small full filesystem: no crash, nothing acked is
    lost, and every reading is stored once space is freed."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "24m"):  # room for the 4 MB WAL once freed
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        db, dl = disk / "t.db", disk / "failed.jsonl"
        # paced, so that the monitor itself does not fill the freed space again at once
        driver = Driver(db, dl, clients=2, batch_size=BATCH, retry_attempts=2, pause=0.01)
        filler = disk / "filler"
        _fill(filler)
        wait_until(_seen(driver, 0, "nack", "dl"), 30)  # a write failed past its retries
        freed = len(driver.events)
        filler.unlink()
        wait_until(_seen(driver, freed, "ack"), 30)
        driver.proc.send_signal(signal.SIGTERM)
        code, err = driver.finish()
        assert code == 0 and "Traceback" not in err, err
        stopped = driver.stopped()
        assert stopped["write_failures"] > 0, stopped
        assert stopped["not_durable"] == 0
        assert sensor_tui("recover", "--db", str(db), "--dead-letter", str(dl)).returncode == 0
        exactly_once(db, acked_keys(driver, BATCH))
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_file_size_limit_as_a_full_disk(tmp_path: Path) -> None:
    """Without root: a file-size limit set on the running monitor (prlimit) fails its database
    writes like a full disk. No crash, nothing acked lost; all stored once the limit is lifted."""
    if not hasattr(resource, "prlimit") or not hasattr(signal, "SIGXFSZ"):
        pytest.skip("no prlimit / SIGXFSZ on this platform")
    db, dl = tmp_path / "t.db", tmp_path / "failed.jsonl"
    driver = Driver(db, dl, clients=2, batch_size=BATCH, retry_attempts=2)
    try:
        soft, hard = resource.prlimit(driver.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(driver.proc.pid, resource.RLIMIT_FSIZE, (65536, hard))
        wait_until(lambda: dl.exists() and dl.stat().st_size > 0, 10)
        lifted = len(driver.events)
        resource.prlimit(driver.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))
        wait_until(_seen(driver, lifted, "ack"), 30)
        driver.proc.send_signal(signal.SIGTERM)
        code, err = driver.finish()
    finally:
        driver.proc.kill()
    assert code == 0 and "Traceback" not in err, err
    stopped = driver.stopped()
    assert stopped["write_failures"] > 0 and stopped["dead_lettered"] > 0, stopped
    assert stopped["not_durable"] == 0
    assert sensor_tui("recover", "--db", str(db), "--dead-letter", str(dl)).returncode == 0
    exactly_once(db, acked_keys(driver, BATCH))


def test_kill9_headless_simulator_restarts(tmp_path: Path) -> None:
    """kill -9 of the monitor while it ingests, three times: committed batches survive,
    nothing is stored twice, the restart starts."""
    import random

    from tests.support.chaos import Tally, run_headless_kill

    tally = Tally()
    rng = random.Random(5)
    for _ in range(3):
        run_headless_kill(tmp_path, rng, tally)
    assert tally.kills == 3 and tally.crashes == 0, tally.notes
    assert tally.sim_printed > 0 and tally.sim_lost == 0
    rows = db_keys(tmp_path / "sim.db")
    assert len(rows) == len(set(rows)) >= tally.sim_printed


def test_chaos_short(tmp_path: Path) -> None:
    """The chaos benchmark's short run: kill -9 restarts, outages, a lock, SIGTERM."""
    from tests.support.chaos import chaos

    tally = chaos(tmp_path, kills=8, seconds=40, seed=11)
    assert tally.kills >= 1 and tally.acknowledged > 0
    assert tally.ok, (tally, tally.notes)


@pytest.mark.slow
def test_chaos_100_kills(tmp_path: Path) -> None:
    """The target: 100 kill -9 restarts, 0 lost, 0 duplicated, 0 uninjected crashes."""
    from tests.support.chaos import chaos

    tally = chaos(tmp_path, kills=100, seconds=600, seed=5)
    assert tally.kills == 100
    assert tally.ok, (tally, tally.notes)


@pytest.mark.slow
def test_headless_lock_past_default_retry_budget(tmp_path: Path) -> None:
    """The real command with the default RetryPolicy (5 tries, 0.1 s doubling, 1 s busy
    timeout): a 14 s lock dead-letters; a restart after release stores everything."""
    db, dl = tmp_path / "t.db", tmp_path / "failed_measurements.jsonl"
    monitor = Headless(db, "--interval", "0.1")
    holder = None
    try:
        monitor.wait_for("Ingested")
        holder = LockHolder(db, 60)
        monitor.wait_for("Dead-lettered", 20)
    finally:
        if holder is not None:
            holder.release()
    monitor.wait_for("writes succeed again", 20)
    monitor.proc.send_signal(signal.SIGTERM)
    code, err = monitor.finish()
    assert code == 0, err
    counts = monitor.stopped_counts()
    assert counts["dead-lettered"] > 0
    assert dl.read_text() == ""  # replayed by the running monitor once writes worked again
    assert len(db_keys(db)) == counts["stored"]
