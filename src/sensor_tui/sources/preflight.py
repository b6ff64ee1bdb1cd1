"""Before the monitor starts: does each reachable OPC UA server offer the configured security?

A security mode or policy the server does not offer never starts working by itself, so retrying
it with backoff (what an outage gets) only hides a configuration mistake behind `reconnecting`.
Each OPC UA source's server is asked for its endpoints (GetEndpoints needs no session and no
certificate); one that answers without the configured pair stops the start with the file named
and what the server does offer. A server that does not answer within a moment is left to the
source, which retries it as an outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from sensor_tui.model.tags import ConfigError
from sensor_tui.sources.config import OpcUaSettings

log = logging.getLogger(__name__)

ANSWER_WITHIN = 2.0
"""Seconds a server has to answer GetEndpoints before the check leaves it to the source."""


def check_security_modes(sources: Iterable[Any], config_path: str | None = None) -> None:
    """ConfigError when a reachable OPC UA server lacks a source's security mode and policy."""
    wanted = [s for s in sources if isinstance(s, OpcUaSettings)]
    try:
        import asyncua  # noqa: F401 - without it, starting the source names the extra
    except ImportError:
        return
    if wanted:
        asyncio.run(_check_all(wanted, config_path))


async def _check_all(sources: list[OpcUaSettings], config_path: str | None) -> None:
    for source in sources:
        offered = await _offered(source)
        if offered is None:
            continue
        pair = (source.security_policy or "None", source.security_mode)
        if pair not in offered:
            where = f"{config_path}: " if config_path else ""
            listed = ", ".join(f"{policy} {mode}" for policy, mode in sorted(offered))
            raise ConfigError(
                f"{where}source '{source.name}': the server at {source.url} does not offer "
                f"security_policy {pair[0]} with security_mode {pair[1]}; it offers: {listed}"
            )


async def _offered(source: OpcUaSettings) -> set[tuple[str, str]] | None:
    """(policy, mode) pairs the server's endpoints offer; None if it did not answer."""
    from asyncua import Client

    client = Client(source.url, timeout=ANSWER_WITHIN)
    try:
        endpoints = await asyncio.wait_for(
            client.connect_and_get_server_endpoints(), ANSWER_WITHIN * 1.5
        )
    except Exception as exc:  # down, refused, not OPC UA: the source will say so
        log.info("%s: endpoints not checked (%s)", source.name, exc)
        return None
    return {
        (str(e.SecurityPolicyUri).rpartition("#")[2], e.SecurityMode.name.rstrip("_"))
        for e in endpoints
    }
