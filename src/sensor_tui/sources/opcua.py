"""OPC UA source: subscribe to one node per tag and store each data change with its source time.

    own thread: asyncio loop ── asyncua client ── subscription (publishing interval)
                                     │ data changes, many per publish response
                                     v
                      one pipeline submit per loop turn (the same `submit_readings`)

The reading's timestamp is the server's *source* timestamp (when the PLC sampled the value), so
a reading delivered late is stored at the moment it describes; a value without one gets the
server timestamp, then the arrival time. A value whose status is not Good (Bad: sensor fault, no
communication; Uncertain: a stale or substituted value) is rejected with its status name,
counted like any bad reading.

One tag's node failing (unknown id, deleted later) takes that tag out, not the session: see
`opcua_tags`. A lost connection is seen within a fraction of a second when the socket closes
(the protocol's state is watched every 0.2 s; asyncua's own watchdog reads the server state each
second for a silent network). While the server is down its port is probed each half second, so
the reconnect starts as soon as the server answers, and the backoff starts afresh then. After a
reconnect the gap is filled from the server's history where it keeps one (`opcua_history`).

A security mode the server does not offer is a configuration error: the source stops trying.
A full pipeline queue pauses the loop at its submit (backpressure).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from datetime import datetime
from typing import Any

from asyncua import Client, Node, ua

from sensor_tui.model.readings import UNKNOWN_TAG, Reading, Rejected
from sensor_tui.pipeline import Pipeline, PipelineStopped
from sensor_tui.sources.config import OpcUaSettings
from sensor_tui.sources.opcua_history import SOURCE_HISTORY, GapFiller
from sensor_tui.sources.opcua_tags import NODE_GONE, TagSubscriptions
from sensor_tui.sources.payloads import BAD_STATUS
from sensor_tui.sources.reasons import (
    MODE_NOT_OFFERED,
    NO_ANSWER,
    SERVER_CERT_MISMATCH,
    SERVER_DOWN,
    node_reason,
    opcua_reason,
    status_name,
)
from sensor_tui.sources.reconnect import pause, port_answers

log = logging.getLogger(__name__)

SOURCE = "opcua"
"""The `source` column of readings that came over OPC UA."""

WATCH_PERIOD = 0.2
"""Seconds between looks at the session (socket state, asyncua's tasks, tags due a retry)."""

AFTER_LOSS = 1.0
"""Seconds at least between a lost session and the next attempt: a server shutting down still
accepts connections for a moment, and a session opened then only delays its shutdown."""


class _Handler:
    """asyncua's subscription handler: turns each data change into a reading or a rejection."""

    def __init__(self, source: OpcUaSource, tags: TagSubscriptions) -> None:
        self.source = source
        self.tags = tags

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        value = data.monitored_item.Value
        tag = self.tags.by_node.get(node.nodeid.to_string())
        status = value.StatusCode
        if tag is not None and status is not None and status_name(status) in NODE_GONE:
            self.tags.withdrawn(tag, status_name(status))
            self.source._tags_changed(self.tags)
            return
        self.source._take(tag, value)

    def status_change_notification(self, status: Any) -> None:
        log.warning("%s: subscription status changed: %s", self.source.name, status_name(status))


class OpcUaSource:
    """One OPC UA server and its subscription, on a thread running its own asyncio loop."""

    kind = "opcua"

    def __init__(self, settings: OpcUaSettings, pipeline: Pipeline) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.name = settings.name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._readings: list[Reading] = []
        self._rejected: list[tuple[int, str]] = []
        self._flush_scheduled = False
        self._gaps = GapFiller(dict(settings.nodes), settings.name)
        self._was_up = False
        self._down_since: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"{self.name} loop", daemon=True)

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (with backoff until the server answers)."""
        self._state("connecting")
        self._thread.start()
        self._ready.wait(5.0)

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect, hand what was received to the pipeline, end the loop's thread."""
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own meanwhile
                loop.call_soon_threadsafe(stopped.set)
        self._thread.join(timeout)
        self.pipeline.counters.source(self.name, self.kind, state="stopped")  # reason kept

    def _state(self, state: str, error: str = "", reason: str = "") -> None:
        self.pipeline.counters.source(
            self.name, self.kind, state=state, error=error, reason=reason,
            down_since=self._down_since,
        )  # fmt: skip

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._ready.set()
        attempt, answered_before = 0, True
        while not self._stopped.is_set():
            self._was_up = False
            try:
                await self._session()
                attempt = 0
            except Exception as exc:  # unreachable, refused, lost: retried; a wrong mode: not
                reason = await self._reason(exc)
                answered = reason not in (SERVER_DOWN, NO_ANSWER)
                if self._was_up or (answered and not answered_before):
                    attempt = 0  # it was up, or the server answers again: backoff afresh
                attempt, answered_before = attempt + 1, answered
                if not self._failed(exc, reason, attempt):
                    break
            self._flush()
            if not self._stopped.is_set():
                delay = self.settings.backoff.delay(max(1, attempt)) * random.uniform(0.8, 1.2)
                first = AFTER_LOSS if self._was_up else 0.0
                await self._pause(max(delay, first), probe=not answered_before, first=first)

    async def _reason(self, exc: Exception) -> str:
        """The short reason; a secure connection the server never answers although its port
        does is, in practice, a `server_cert` that is not the server's certificate (the server
        cannot decrypt what was encrypted for another key, and stays silent)."""
        reason = opcua_reason(exc)
        cert = self.settings.server_cert
        if reason == NO_ANSWER and not self._was_up and cert and await self._port_answers():
            return SERVER_CERT_MISMATCH
        return reason

    async def _pause(self, delay: float, probe: bool, first: float = 0.0) -> None:
        stopped = self._stopped or asyncio.Event()
        await pause(stopped, delay, self.settings.url if probe else None, first)

    async def _port_answers(self) -> bool:
        return await port_answers(self.settings.url)

    def _failed(self, exc: Exception, reason: str, attempt: int) -> bool:
        """Show and log the failure; False when retrying cannot help (stop trying)."""
        text = str(exc).strip() or type(exc).__name__
        if isinstance(exc, ua.UaStatusCodeError):
            text = f"{status_name(exc.code)}: {text}"
        if reason in (SERVER_DOWN, NO_ANSWER) and self._down_since is None:
            self._down_since = time.time()
        if reason == MODE_NOT_OFFERED:
            wanted = f"{self.settings.security_policy or 'None'} {self.settings.security_mode}"
            text = f"the server does not offer security {wanted}: {text}"
            self._state("error", text, reason)
            log.error("%s: %s; not retried, fix security_mode/security_policy", self.name, text)
            return False
        if reason == SERVER_CERT_MISMATCH:
            text = (
                f"the server does not answer the secure channel request: is "
                f"{self.settings.server_cert} its certificate? ({text})"
            )
        transient = reason in (SERVER_DOWN, NO_ANSWER) or reason.endswith("Error")
        self._state("reconnecting" if transient else "error", text, reason)
        if attempt <= 2 or attempt % 10 == 0:
            log.warning("%s: %s; retrying with backoff", self.name, text)
        return True

    async def _session(self) -> None:
        """Connect, subscribe, and watch the connection until it fails or stop() is called."""
        client = await self._client()
        await client.connect()
        try:
            self._was_up = True
            tags = TagSubscriptions(
                client, dict(self.settings.nodes), self.settings.backoff, self.name
            )
            marks = self._gaps.marks()
            subscribed = await tags.start(_Handler(self, tags), self.settings.publishing_interval)
            self._down_since = None
            self._tags_changed(tags)
            log.info("%s: connected, %d of %d nodes subscribed",
                     self.name, len(subscribed), len(self.settings.nodes))  # fmt: skip
            await self._fill(client, subscribed, marks)
            await self._watch(client, tags)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), 2.0)

    async def _client(self) -> Client:
        s = self.settings
        client = Client(s.url, timeout=s.timeout, watchdog_intervall=1.0)
        if s.application_uri:
            client.application_uri = s.application_uri
        if s.username:
            client.set_user(s.username)
            client.set_password(s.password or "")
        if s.security_mode != "None":
            parts = [s.security_policy, s.security_mode, s.cert or "", s.key or ""]
            await client.set_security_string(
                ",".join(parts + ([s.server_cert] if s.server_cert else []))
            )
        return client

    async def _watch(self, client: Client, tags: TagSubscriptions) -> None:
        stopped = self._stopped or asyncio.Event()
        while not stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), WATCH_PERIOD)
            protocol = client.uaclient.protocol
            if protocol is None or protocol.state == "closed":
                raise ConnectionResetError("connection to the server lost")
            await client.check_connection()  # raises once asyncua's watchdog saw it go
            marks = self._gaps.marks()
            back = await tags.retry_due()
            if back is not None:
                self._tags_changed(tags)
            again = set(back or ()) | set(self._gaps.due(list(tags.handles)))
            if again:  # tags subscribed again, and fills that failed on a live session
                await self._fill(client, sorted(again), marks)

    def _tags_changed(self, tags: TagSubscriptions) -> None:
        failures = tags.failures()
        detail = "; ".join(f"{tag}: {status}" for tag, status in failures.items())
        state = "error" if len(failures) == len(self.settings.nodes) else "connected"
        self._state(state, detail, node_reason(failures, len(self.settings.nodes)))

    async def _fill(self, client: Client, tags: list[str], marks: dict[str, datetime]) -> None:
        """Read back what the server recorded while these tags were not subscribed."""
        try:
            for tag, value in await self._gaps.read(client, tags, marks):
                self._take(tag, value, SOURCE_HISTORY)
        except (ConnectionError, TimeoutError, ua.UaError) as exc:
            log.warning("%s: reading history failed (%s); tried again soon", self.name, exc)
        self._flush()

    # -- data changes to readings ----------------------------------------------------------

    def _take(self, tag: str | None, value: ua.DataValue, source: str = SOURCE) -> None:
        """One data change (on the loop's thread); submitted with the others at the turn's end."""
        index = len(self._readings) + len(self._rejected)
        try:
            if tag is None:
                raise Rejected(UNKNOWN_TAG, "notification for an unsubscribed node")
            status = value.StatusCode
            if status is not None and not status.is_good():  # Bad and Uncertain alike
                raise Rejected(BAD_STATUS, status_name(status))
            stamp: datetime | None = value.SourceTimestamp or value.ServerTimestamp
            variant = value.Value
            raw = variant.Value if variant is not None else None
            self._readings.append(
                self.pipeline.validator.validate(tag, raw, stamp and stamp.isoformat(), source)
            )
            self._gaps.seen(tag, stamp)
        except Rejected as exc:
            self._rejected.append((index, exc.reason))
        if not self._flush_scheduled and self._loop is not None:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        readings, rejected = self._readings, self._rejected
        if not readings and not rejected:
            return
        self._readings, self._rejected = [], []
        self.pipeline.counters.source_messages(self.name, len(readings) + len(rejected))
        with contextlib.suppress(PipelineStopped):  # stopping: nothing to hand it to
            self.pipeline.submit_readings(readings, rejected)
