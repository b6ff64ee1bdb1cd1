"""Waiting between connection attempts, and noticing a server's return without waiting it out.

Backoff keeps a monitor from hammering a server that refuses it; but after an outage it also
delays the reconnect long past the server's return (13 s in one test, and 48 readings never
stored). So while a server is down, its TCP port is probed every half second during the wait:
a port that accepts a connection ends the wait at once. A probe is a TCP connect and close,
nothing at the OPC UA level, so a server that refuses us (bad password) is not probed at all:
its port always answers and the backoff must hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit

PROBE_EVERY = 0.5
"""Seconds between probes of a down server's port."""


async def port_answers(url: str, timeout: float = 0.5) -> bool:
    """True if the URL's host accepts a TCP connection on its port now."""
    parts = urlsplit(url)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, parts.port or 4840), timeout
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def pause(stopped: asyncio.Event, delay: float, probe: str | None, first: float) -> None:
    """Wait `delay` s or until `stopped`; with a `probe` URL, end early (after `first` s) once
    its port answers, so a server back from an outage is reconnected within a second whatever
    the backoff has grown to."""
    start = time.monotonic()
    while not stopped.is_set() and (left := start + delay - time.monotonic()) > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), min(left, PROBE_EVERY))
        late = time.monotonic() - start >= first
        if probe and late and not stopped.is_set() and await port_answers(probe):
            return
