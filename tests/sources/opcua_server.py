"""A real asyncua OPC UA server in the test process, on its own thread and event loop.

Three variables under one object (`ns=2;s=Fermenter.Temp`, `...PH`, `...RPM`); `write()` sets a
value with a chosen source timestamp and status, as a PLC would. Optional username/password
(only `USER`/`PASSWORD` get in) and Basic256Sha256 SignAndEncrypt with generated certificates.
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

    def __init__(self, port: int, auth: bool = False, secure_dir: Path | None = None) -> None:
        self.port = port
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
        return f"ns={self.ns};s={NODES[tag]}"

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
            await server.init()
            server.set_endpoint(self.url)
            if self.auth:
                server.set_identity_tokens([ua.UserNameIdentityToken])
            if self.secure_dir is not None:
                cert, key = await make_pki(self.secure_dir, "server")
                await server.load_certificate(str(cert))
                await server.load_private_key(str(key))
                server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
            self.ns = await server.register_namespace(NAMESPACE)
            plant = await server.nodes.objects.add_object(self.ns, "Plant")
            for tag, name in NODES.items():
                node = await plant.add_variable(ua.NodeId(name, self.ns), name, 0.0)
                self._vars[tag] = node
            async with server:
                self._up.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            self._up.set()

    def write(
        self, tag: str, value: float, when: datetime, status: int = ua.StatusCodes.Good
    ) -> None:
        """Set a variable as a PLC would: value, source timestamp, status."""
        data = ua.DataValue(
            ua.Variant(value, ua.VariantType.Double),
            StatusCode_=ua.StatusCode(status),
            SourceTimestamp=when,
        )
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._vars[tag].write_value(data), self._loop).result(10)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(30)
        self._thread = None
