"""One `type = "opcua"` table, checked before anything connects.

    [[sources]]
    type = "opcua"
    name = "plc1"                      # default: opcua <host>:<port>
    url = "opc.tcp://plc1:4840"
    nodes = { fermenter_temp = "ns=2;s=Fermenter.Temperature" }
    security_mode = "SignAndEncrypt"
    security_policy = "Basic256Sha256"
    cert = "pki/sensor-tui.der"        # relative to this file's folder
    key = "pki/sensor-tui.pem"
    server_cert = "pki/plc1.der"       # pin the server; without it any server cert is accepted

File names are relative to the config file, and each named file must exist now: a missing one
stops the start with the file named. The application URI must be the one the certificate
carries; when not given it is taken from the certificate, else `urn:<host>:sensor-tui`.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sensor_tui.model.tags import ConfigError
from sensor_tui.sources.entry import (
    Backoff,
    _backoff,
    _file,
    _get,
    _password,
    _split_url,
    _unknown,
)


@dataclass(frozen=True, slots=True)
class OpcUaSettings:
    """One OPC UA server: its URL, the node per tag, security and credentials."""

    name: str
    url: str
    nodes: Mapping[str, str]
    security_mode: str = "None"
    security_policy: str = ""
    cert: str | None = None
    key: str | None = None
    server_cert: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    publishing_interval: float = 500.0
    """Milliseconds between the server's data-change notifications."""
    timeout: float = 4.0
    backoff: Backoff = field(default_factory=Backoff)
    application_uri: str = ""
    """The URI the client announces; it must match the one in `cert` (asyncua's own if empty)."""


SECURITY_MODES = ("None", "Sign", "SignAndEncrypt")

_OPCUA_KEYS = {
    "type", "name", "url", "nodes", "security_mode", "security_policy", "cert", "key",
    "server_cert", "username", "password_env", "publishing_interval", "reconnect_min",
    "reconnect_max", "timeout", "password", "application_uri",
}  # fmt: skip


def opcua_from_entry(
    entry: Mapping[str, Any], where: str, base: str | None = None
) -> OpcUaSettings:
    """Check one `type = "opcua"` table; `base` is the folder relative file names start from."""
    _unknown(entry, _OPCUA_KEYS, where)
    url = _get(entry, "url", str, where)
    if not url or not url.startswith("opc.tcp://"):
        raise ConfigError(f"{where}: 'url' must be opc.tcp://host:port[/path]")
    nodes = _get(entry, "nodes", dict, where) or {}
    if not nodes or not all(isinstance(k, str) and isinstance(v, str) for k, v in nodes.items()):
        raise ConfigError(f"{where}: 'nodes' maps tag names to node ids (ns=2;s=Temp)")
    mode = _get(entry, "security_mode", str, where) or "None"
    if mode not in SECURITY_MODES:
        raise ConfigError(f"{where}: security_mode is one of {', '.join(SECURITY_MODES)}")
    policy = _get(entry, "security_policy", str, where) or ""
    if mode != "None" and not (policy and entry.get("cert") and entry.get("key")):
        raise ConfigError(f"{where}: security_mode {mode} needs security_policy, cert and key")
    cert, key = _file(entry, "cert", where, base), _file(entry, "key", where, base)
    interval = _get(entry, "publishing_interval", (int, float), where) or 500.0
    timeout = _get(entry, "timeout", (int, float), where) or 4.0
    _, user, password, host, port, _ = _split_url(url, where)
    if password is not None:
        raise ConfigError(f"{where}: no password in the URL; use password_env")
    return OpcUaSettings(
        name=_get(entry, "name", str, where) or f"opcua {host}:{port or 4840}",
        url=url,
        nodes=dict(nodes),
        security_mode=mode,
        security_policy=policy,
        cert=cert,
        key=key,
        server_cert=_file(entry, "server_cert", where, base),
        username=_get(entry, "username", str, where) or user or None,
        password=_password(entry, where),
        publishing_interval=float(interval),
        timeout=float(timeout),
        backoff=_backoff(entry, where),
        application_uri=_application_uri(entry, cert, where),
    )


def _application_uri(entry: Mapping[str, Any], cert: str | None, where: str) -> str:
    """The given URI, checked against the certificate's; else the certificate's; else ours."""
    given = _get(entry, "application_uri", str, where)
    carried: list[str] = []
    if cert:
        try:  # reading the certificate needs cryptography, which comes with asyncua
            from sensor_tui.sources.opcua_cert import certificate_uris
        except ImportError as exc:
            raise ConfigError(
                f"{where}: the opcua source needs the 'opcua' extra, which is not installed: "
                "pip install 'sensor-tui[opcua]'"
            ) from exc
        carried = certificate_uris(cert)
    if given and carried and given not in carried:
        raise ConfigError(
            f"{where}: application_uri {given} is not in the certificate {cert} "
            f"(it carries {', '.join(carried)}); servers refuse such a client"
        )
    return given or (carried[0] if carried else f"urn:{socket.gethostname()}:sensor-tui")
