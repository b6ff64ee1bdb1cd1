"""Reading one `[[sources]]` table: typed keys, file names, passwords, the reconnect backoff.

Shared by the MQTT and OPC UA settings (`config`, `opcua_settings`); every mistake is a
`ConfigError` naming the entry (and the config file, when known).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sensor_tui.model.tags import ConfigError


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: from `first` seconds, doubling, at most `most` (with jitter)."""

    first: float = 0.5
    most: float = 30.0

    def delay(self, attempt: int) -> float:
        """The wait before reconnect attempt `attempt` (1, 2, ...), jitter excluded."""
        return min(self.most, self.first * 2 ** max(0, attempt - 1))


def _get(entry: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """`entry[key]` when it has the right type, None when absent; ConfigError otherwise."""
    value = entry.get(key)
    if value is None:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ConfigError(f"{where}: '{key}' must be a {' or '.join(k.__name__ for k in kinds)}")
    return value


def file_path(value: str | None, where: str, what: str, base: str | None = None) -> str | None:
    """`value` resolved against `base` (the config file's folder), checked to be a file now:
    a missing certificate found at start is one clear line, found at connect time it was an
    endless `reconnecting`."""
    if value is None:
        return None
    path = os.path.join(base, os.path.expanduser(value)) if base else os.path.expanduser(value)
    if not os.path.isfile(path):
        raise ConfigError(f"{where}: {what} file {path} not found")
    return path


def _file(entry: Mapping[str, Any], key: str, where: str, base: str | None) -> str | None:
    return file_path(_get(entry, key, str, where), where, key, base)


def _password(entry: Mapping[str, Any], where: str) -> str | None:
    if "password" in entry:
        raise ConfigError(
            f"{where}: no 'password' in the file; name an environment variable: password_env"
        )
    variable = _get(entry, "password_env", str, where)
    if variable is None:
        return None
    if variable not in os.environ:
        raise ConfigError(f"{where}: environment variable {variable} is not set")
    return os.environ[variable]


def _backoff(entry: Mapping[str, Any], where: str) -> Backoff:
    first = _get(entry, "reconnect_min", (int, float), where) or 0.5
    most = _get(entry, "reconnect_max", (int, float), where) or 30.0
    if not 0 < first <= most:
        raise ConfigError(f"{where}: need 0 < reconnect_min <= reconnect_max")
    return Backoff(float(first), float(most))


def _split_url(url: str, where: str) -> tuple[str, str, str | None, str, int | None, str]:
    """(scheme, user, password or None, host, port or None, path) without urllib: a topic
    filter's `#` is not a URL fragment here."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(f"{where}: {url!r} is not a URL like mqtt://host:1883/topic")
    netloc, _, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    host, port = hostport, None
    if hostport.startswith("["):  # [::1]:1883
        host, _, tail = hostport[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"{where}: bad port in {url!r}")
        port = int(port_text)
    if not host:
        raise ConfigError(f"{where}: no host in {url!r}")
    return scheme.lower(), user if at else "", password if colon else None, host, port, path


def _unknown(entry: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
