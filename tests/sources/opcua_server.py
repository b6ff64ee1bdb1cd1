"""A real asyncua OPC UA server in the test process, on its own thread and event loop.

Three variables under one object (`ns=2;s=Fermenter.Temp`, `...PH`, `...RPM`), or any extra
ones named in `extra`; `write()` sets a value with a chosen source timestamp and status, as a PLC
would, and keeps it in `written` (the server's own record, which gap tests compare against).
Optional username/password (only `USER`/`PASSWORD` get in), Basic256Sha256 SignAndEncrypt with
generated certificates, history (HistoryRead) kept in memory across a stop/start, and
`delete()`/`restore()` of a node as a PLC program change would.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.history import HistoryDict
from cryptography.x509.oid import ExtendedKeyUsageOID

USER, PASSWORD = "operator", "opc-Passw0rd"
NAMESPACE = "urn:sensor-tui:test"
NODES = {
    "fermenter_temp": "Fermenter.Temp",
    "fermenter_ph": "Fermenter.PH",
    "agitator_rpm": "Agitator.RPM",
}


class _Users:
    """Only USER with PASSWORD; anonymous and others are refused."""

    def get_user(
        self, iserver: Any, username: Any = None, password: Any = None, certificate: Any = None
    ) -> User | None:
        if username == USER and password == PASSWORD:
            return User(role=UserRole.User)
        return None


async def make_pki(folder: Path, role: str) -> tuple[Path, Path]:
    """(certificate .der, key .pem) for an OPC UA application (server or client)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / f"{role}.der", folder / f"{role}.pem"
    use = ExtendedKeyUsageOID.SERVER_AUTH if role == "server" else ExtendedKeyUsageOID.CLIENT_AUTH
    await setup_self_signed_certificate(
        key,
        cert,
        f"urn:sensor-tui:{role}",
        "localhost",
        [use],
        {"commonName": f"sensor-tui {role}"},
    )
    return cert, key


class OpcServer:
    """start() / stop() / write(); the same port across a restart."""

    def __init__(
        self,
        port: int,
        auth: bool = False,
        secure_dir: Path | None = None,
        history: bool = False,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.port = port
        self.history = history
        self.names = {**NODES, **{name: name for name in extra}}
        self.written: dict[str, list[tuple[datetime, float]]] = {}
        self._store: Any = None  # the history, kept across a restart like a plant historian
        self.url = f"opc.tcp://127.0.0.1:{port}/sensor-tui/"
        self.auth = auth
        self.secure_dir = secure_dir
        self.ns = 2
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._vars: dict[str, Any] = {}
        self._stop: asyncio.Event | None = None
        self._up = threading.Event()
        self._error: BaseException | None = None

    def node_id(self, tag: str) -> str:
        return f"ns={self.ns};s={self.names[tag]}"

    def start(self) -> OpcServer:
        self._up.clear()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._up.wait(30) or self._error:
            raise RuntimeError(f"OPC UA server did not start: {self._error}")
        return self

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            server = Server(user_manager=_Users()) if self.auth else Server()
            self._server = server
            await server.init()
            server.set_endpoint(self.url)
            if self.auth:
                server.set_identity_tokens([ua.UserNameIdentityToken])
            if self.secure_dir is not None:
                cert, key = await make_pki(self.secure_dir, "server")
                await server.load_certificate(str(cert))
                await server.load_private_key(str(key))
                server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
            if self.history:
                self._store = self._store or HistoryDict()
                server.iserver.history_manager.set_storage(self._store)
            self.ns = await server.register_namespace(NAMESPACE)
            self._plant = await server.nodes.objects.add_object(self.ns, "Plant")
            for tag in self.names:
                await self._add(tag)
            async with server:
                self._up.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            self._up.set()

    async def _add(self, tag: str) -> None:
        node_id = ua.NodeId(self.names[tag], self.ns)
        self._vars[tag] = await self._plant.add_variable(node_id, self.names[tag], 0.0)
        if self.history and node_id not in self._store._datachanges:
            await self._store.new_historized_node(node_id, period=None)

    def _run(self, coro: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def write(
        self, tag: str, value: float, when: datetime, status: int = ua.StatusCodes.Good
    ) -> None:
        """Set a variable as a PLC would: value, source timestamp, status."""
        data = ua.DataValue(
            ua.Variant(value, ua.VariantType.Double),
            StatusCode_=ua.StatusCode(status),
            SourceTimestamp=when,
        )
        self._run(self._write(tag, data))
        if status == ua.StatusCodes.Good:
            self.written.setdefault(tag, []).append((when, value))

    async def _write(self, tag: str, data: ua.DataValue) -> None:
        """The value, and the same value in the history (a historian records every sample)."""
        await self._vars[tag].write_value(data)
        if self.history:
            await self._store.save_node_value(ua.NodeId(self.names[tag], self.ns), data)

    def delete(self, tag: str) -> None:
        """Remove the node, as a PLC program change would. A server tells the node's monitored
        items with a BadNodeIdUnknown data change; asyncua 1.1's own notice is lost (its callback
        is a coroutine nobody awaits), so that data change is written here first."""
        gone = ua.DataValue(StatusCode_=ua.StatusCode(ua.StatusCodes.BadNodeIdUnknown))
        self._run(self._vars[tag].write_value(gone))
        self._run(self._server.delete_nodes([self._vars.pop(tag)]))

    def restore(self, tag: str) -> None:
        """Put a deleted node back."""
        self._run(self._add(tag))

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)
        self._thread = None
