"""OPC UA source: subscribe to one node per tag and store each data change with its source time.

    own thread: asyncio loop ── asyncua client ── subscription (publishing interval)
                                     │ data changes, many per publish response
                                     v
                      one pipeline submit per loop turn (the same `submit_readings`)

The reading's timestamp is the server's *source* timestamp (when the PLC sampled the value), so
a reading delivered late is stored at the moment it describes; a value without one gets the
server timestamp, then the arrival time. A value whose status is not Good (sensor fault, no
communication) is rejected with its status name, counted like any bad reading.

OPC UA subscriptions deliver current values, not a log: while the monitor is down or the server
unreachable nothing queues up (unlike an MQTT persistent session), and the first notification
after a reconnect is each node's current value. The connection is watched (`check_connection`
each second) and rebuilt with backoff; its state is in the counters like an MQTT broker's. A
full pipeline queue pauses the loop at its submit (backpressure, as for an HTTP sender); the
server then holds notifications for the subscription until the next publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from datetime import datetime
from typing import Any

from asyncua import Client, Node, ua

from sensor_tui.errors import SensorTuiError
from sensor_tui.pipeline import Pipeline, PipelineStopped
from sensor_tui.readings import UNKNOWN_TAG, Reading, Rejected
from sensor_tui.sources.config import OpcUaSettings
from sensor_tui.sources.payloads import BAD_STATUS

log = logging.getLogger(__name__)

SOURCE = "opcua"
"""The `source` column of readings that came over OPC UA."""


class NodeError(SensorTuiError):
    """A configured node id the server does not know or will not let us monitor."""


class _Handler:
    """asyncua's subscription handler: turns each data change into a reading or a rejection."""

    def __init__(self, source: OpcUaSource, tags: dict[str, str]) -> None:
        self.source = source
        self.tags = tags  # node id string -> tag

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        value = data.monitored_item.Value
        self.source._take(self.tags.get(node.nodeid.to_string()), value)

    def status_change_notification(self, status: Any) -> None:
        log.warning("%s: subscription status changed: %s", self.source.name, status)


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
        self._state("stopped")

    def _state(self, state: str, error: str = "") -> None:
        self.pipeline.counters.source(self.name, self.kind, state=state, error=error)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._ready.set()
        attempt = 0
        while not self._stopped.is_set():
            try:
                await self._session()
                attempt = 1  # it was up: start the backoff afresh
            except Exception as exc:  # unreachable, refused, bad node, lost: all retried
                attempt += 1
                self._failed(exc, attempt)
            self._flush()
            if not self._stopped.is_set():
                delay = self.settings.backoff.delay(attempt) * random.uniform(0.8, 1.2)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)

    def _failed(self, exc: Exception, attempt: int) -> None:
        text = str(exc).strip() or type(exc).__name__
        needs_human = isinstance(exc, NodeError) or (
            isinstance(exc, ua.UaStatusCodeError)
            and any(word in text for word in ("Identity", "UserAccess", "Security", "Certificate"))
        )
        self._state("error" if needs_human else "reconnecting", text)
        if attempt <= 2 or attempt % 10 == 0:
            log.warning("%s: %s; retrying with backoff", self.name, text)

    async def _session(self) -> None:
        """Connect, subscribe, and watch the connection until it fails or stop() is called."""
        s = self.settings
        client = Client(s.url, timeout=s.timeout)
        if s.username:
            client.set_user(s.username)
            client.set_password(s.password or "")
        if s.security_mode != "None":
            parts = [s.security_policy, s.security_mode, s.cert or "", s.key or ""]
            await client.set_security_string(
                ",".join(parts + ([s.server_cert] if s.server_cert else []))
            )
        await client.connect()
        try:
            await self._subscribe(client)
            self._state("connected")
            log.info("%s: connected, %d nodes subscribed", self.name, len(s.nodes))
            stopped = self._stopped or asyncio.Event()
            while not stopped.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), 1.0)
                await client.check_connection()  # raises once the connection is gone
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), 2.0)

    async def _subscribe(self, client: Client) -> None:
        nodes = {tag: client.get_node(node_id) for tag, node_id in self.settings.nodes.items()}
        handler = _Handler(self, {n.nodeid.to_string(): tag for tag, n in nodes.items()})
        subscription = await client.create_subscription(self.settings.publishing_interval, handler)
        results = await subscription.subscribe_data_change(list(nodes.values()))
        bad = [
            f"{tag}: {result}"
            for tag, result in zip(nodes, results, strict=True)
            if not isinstance(result, int)
        ]
        if bad:  # a wrong node id is a configuration error: say which
            raise NodeError(f"cannot subscribe to {'; '.join(bad)}")

    # -- data changes to readings ----------------------------------------------------------

    def _take(self, tag: str | None, value: ua.DataValue) -> None:
        """One data change (on the loop's thread); submitted with the others at the turn's end."""
        index = len(self._readings) + len(self._rejected)
        try:
            if tag is None:
                raise Rejected(UNKNOWN_TAG, "notification for an unsubscribed node")
            status = value.StatusCode
            if status is not None and not status.is_good():
                raise Rejected(BAD_STATUS, status.name)
            stamp: datetime | None = value.SourceTimestamp or value.ServerTimestamp
            variant = value.Value
            raw = variant.Value if variant is not None else None
            self._readings.append(
                self.pipeline.validator.validate(tag, raw, stamp and stamp.isoformat(), SOURCE)
            )
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
