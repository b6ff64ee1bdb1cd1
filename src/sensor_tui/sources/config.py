"""`[[sources]]` tables and `--mqtt` URLs, checked and typed before anything connects.

    [[sources]]
    type = "mqtt"
    url = "mqtts://monitor@broker.plant:8883"
    topics = ["plant/fermentation/#"]
    template = "plant/{area}/{tag}"
    ca = "/etc/sensor-tui/ca.pem"
    password_env = "PLANT_MQTT_PASSWORD"

    [[sources]]
    type = "opcua"
    url = "opc.tcp://plc1:4840"
    nodes = { fermenter_temp = "ns=2;s=Fermenter.Temperature" }

Passwords come only from environment variables (`password_env`; `SENSOR_TUI_MQTT_PASSWORD` for
`--mqtt`), never from the file or the command line, where `ps` and shell history would show them.
A mistake (unknown key, bad URL, missing variable) is a `ConfigError` naming the entry.
"""

from __future__ import annotations

import hashlib
import os
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
    file_path,
)
from sensor_tui.sources.opcua_settings import OpcUaSettings, opcua_from_entry
from sensor_tui.sources.topics import TopicMap, check_filter

__all__ = ["Backoff", "MqttSettings", "OpcUaSettings", "SourceSettings", "parse_sources"]

MQTT_PASSWORD_ENV = "SENSOR_TUI_MQTT_PASSWORD"
"""Where `--mqtt mqtt://user@host/...` takes its password from."""

_MQTT_KEYS = {
    "type", "name", "url", "topics", "template", "tag_format", "topic_tags", "qos", "client_id",
    "ca", "cert", "key", "username", "password_env", "session_expiry", "receive_maximum",
    "keepalive", "require_timestamp", "reconnect_min", "reconnect_max",
    "password",  # known, so that it is refused with the reason rather than as a typo
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """One MQTT subscription: where, what, how to map topics, how to authenticate."""

    name: str
    host: str
    port: int
    topics: tuple[str, ...]
    mapping: TopicMap = field(default_factory=TopicMap)
    tls: bool = False
    qos: int = 1
    client_id: str = ""
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    session_expiry: int = 86_400
    """Seconds the broker keeps the session (and queues messages) while the monitor is away."""
    receive_maximum: int = 1000
    """Messages the broker may have unacknowledged with us at once (MQTT 5 flow control)."""
    keepalive: int = 30
    require_timestamp: bool = False
    """Reject readings without a timestamp: only then is a redelivery stored exactly once."""
    backoff: Backoff = field(default_factory=Backoff)


SourceSettings = MqttSettings | OpcUaSettings


def parse_mqtt_url(url: str, where: str = "--mqtt") -> tuple[bool, str | None, str, int, str]:
    """`mqtt[s]://[user@]host[:port][/topic/filter]` -> (tls, user, host, port, filter)."""
    scheme, user, password, host, port, path = _split_url(url, where)
    if scheme not in ("mqtt", "mqtts"):
        raise ConfigError(f"{where}: scheme must be mqtt:// or mqtts://, not {scheme}://")
    if password is not None:
        raise ConfigError(
            f"{where}: no password in the URL (ps and shell history show it); "
            f"set {MQTT_PASSWORD_ENV} or password_env instead"
        )
    tls = scheme == "mqtts"
    return tls, user or None, host, port or (8883 if tls else 1883), path


def default_client_id(name: str, anchor: str) -> str:
    """A client id that is the same at every start of the same monitor (a persistent session
    needs it) and different for two monitors on one host: host name + a hash of the database
    path and the source's name."""
    digest = hashlib.sha1(f"{anchor}\0{name}".encode()).hexdigest()[:10]
    return f"sensor-tui-{socket.gethostname()[:20]}-{digest}"


def _topic_table(entry: Mapping[str, Any], where: str) -> dict[str, str]:
    table = _get(entry, "topic_tags", dict, where) or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        raise ConfigError(f"{where}: topic_tags maps topic strings to tag names")
    return dict(table)


def mqtt_from_entry(
    entry: Mapping[str, Any], where: str, anchor: str, base: str | None = None
) -> MqttSettings:
    """Check one `type = "mqtt"` table."""
    _unknown(entry, _MQTT_KEYS, where)
    url = _get(entry, "url", str, where)
    if not url:
        raise ConfigError(f"{where}: 'url' is required (mqtt://host:1883)")
    tls, user, host, port, path = parse_mqtt_url(url, where)
    mapping = TopicMap.build(
        _get(entry, "template", str, where),
        _get(entry, "tag_format", str, where),
        _topic_table(entry, where),
    )
    topics = list(_get(entry, "topics", list, where) or [])
    topics += [path] if path else []
    topics = topics or mapping.filters()
    if not topics or not all(isinstance(t, str) and t for t in topics):
        raise ConfigError(f"{where}: give 'topics' (a list of topic filters) or a template")
    topics = [check_filter(t, where) for t in topics]
    qos = _get(entry, "qos", int, where)
    if qos not in (None, 0, 1, 2):
        raise ConfigError(f"{where}: qos must be 0, 1 or 2")
    name = _get(entry, "name", str, where) or f"mqtt {host}:{port}"
    username = _get(entry, "username", str, where) or user
    return MqttSettings(
        name=name,
        host=host,
        port=port,
        topics=tuple(dict.fromkeys(topics)),
        mapping=mapping,
        tls=tls or any(entry.get(k) for k in ("ca", "cert")),
        qos=1 if qos is None else qos,
        client_id=_get(entry, "client_id", str, where) or default_client_id(name, anchor),
        ca=_file(entry, "ca", where, base),
        cert=_file(entry, "cert", where, base),
        key=_file(entry, "key", where, base),
        username=username,
        password=_password(entry, where),
        session_expiry=_positive(entry, "session_expiry", 86_400, where),
        receive_maximum=min(65_535, _positive(entry, "receive_maximum", 1000, where)),
        keepalive=_positive(entry, "keepalive", 30, where),
        require_timestamp=bool(_get(entry, "require_timestamp", bool, where)),
        backoff=_backoff(entry, where),
    )


def mqtt_from_url(url: str, index: int, anchor: str, ca: str | None = None) -> MqttSettings:
    """`--mqtt URL`: one subscription; the tag is the payload's, else the topic's last level."""
    where = f"--mqtt {url}"
    tls, user, host, port, path = parse_mqtt_url(url, where)
    password = os.environ.get(MQTT_PASSWORD_ENV) if user else None
    if user and password is None:
        raise ConfigError(f"{where}: a user is given, so set {MQTT_PASSWORD_ENV}")
    name = f"mqtt {host}:{port}" + (f" #{index + 1}" if index else "")
    return MqttSettings(
        name=name,
        host=host,
        port=port,
        topics=(check_filter(path or "#", where),),
        tls=tls,
        client_id=default_client_id(f"{name} {path}", anchor),
        ca=file_path(ca, "--mqtt-ca", "CA"),
        username=user,
        password=password,
    )


def _positive(entry: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = _get(entry, key, int, where)
    if value is None:
        return default
    if value <= 0:
        raise ConfigError(f"{where}: '{key}' must be a positive whole number")
    return int(value)


def parse_sources(
    entries: tuple[Mapping[str, Any], ...],
    mqtt_urls: tuple[str, ...] = (),
    anchor: str = "",
    mqtt_ca: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
) -> list[SourceSettings]:
    """Every configured source, the file's first, then `--mqtt` URLs; names are unique.

    `anchor` (the database path) keeps default MQTT client ids stable across restarts. Relative
    file names in the entries are relative to `config_path`'s folder (the file they are written
    in, as a plant engineer reads them), and errors name that file.
    """
    base = os.path.dirname(os.path.abspath(config_path)) if config_path else None
    out: list[SourceSettings] = []
    for i, entry in enumerate(entries):
        where = f"{config_path}: sources[{i}]" if config_path else f"sources[{i}]"
        kind = entry.get("type")
        if kind == "mqtt":
            out.append(mqtt_from_entry(entry, where, anchor, base))
        elif kind == "opcua":
            out.append(opcua_from_entry(entry, where, base))
        else:
            raise ConfigError(f'{where}: \'type\' must be "mqtt" or "opcua", not {kind!r}')
    out += [mqtt_from_url(url, i, anchor, mqtt_ca) for i, url in enumerate(mqtt_urls)]
    names = [s.name for s in out]
    if len(names) != len(set(names)):
        raise ConfigError("two sources have the same name: give them distinct 'name's")
    return out
