"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb, pg_ctl, a socket and a port.

Why a real server: the historian's partitions, COPY, ON CONFLICT and roles are PostgreSQL's own;
an imitation would test the imitation. The cluster lives in a temporary directory, listens on
127.0.0.1 at a free port and on a socket in that directory, and is removed when stopped.

PostgreSQL refuses to run as root, so when the tests run as root (CI) the data directory is
given to `nobody` and initdb / pg_ctl run through `runuser -u nobody`; otherwise they run as the
current user. Binaries come from `pg_config --bindir`, else `/usr/lib/postgresql/*/bin`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for path in candidates:
        if (Path(path) / "initdb").is_file() and (Path(path) / "pg_ctl").is_file():
            return Path(path)
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One throwaway cluster; `start()` / `stop()` / `restart()`, `url` for psycopg."""

    def __init__(self, bindir: Path, port: int | None = None) -> None:
        self.bindir = bindir
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="sensor-tui-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "nobody", "nogroup" if _has_group("nogroup") else None)

    @property
    def url(self) -> str:
        """A connection URL for the superuser over TCP."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "nobody", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr}{result.stdout}{log}")

    def init(self) -> None:
        """Create the data directory (trust auth: a private, throwaway cluster)."""
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
            " -c max_connections=50"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: roll back open transactions, then a clean shutdown)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop and start again on the same port (what an operator's restart looks like)."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop if running and remove every file of the cluster."""
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A fresh database in this cluster; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


def _has_group(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def start_cluster() -> Cluster:
    """A started cluster; raises LookupError when PostgreSQL is not installed."""
    bindir = find_bindir()
    if bindir is None:
        raise LookupError("PostgreSQL is not installed (no pg_config, no /usr/lib/postgresql)")
    cluster = Cluster(bindir)
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # -w waited already; the TCP side may lag a moment
        try:
            socket.create_connection(("127.0.0.1", cluster.port), 1).close()
            break
        except OSError:
            time.sleep(0.05)
    return cluster
