"""MQTT source: subscribe to a broker and store every message at least once, then acknowledge.

    paho network thread ── on_message ──> inbox ──> batcher thread: decode, map, validate,
                                                      one pipeline submit per batch of messages
                                                              │ future
    broker <── PUBACK ── acker thread: waits for each future in order ──┘

At-least-once into SQLite: QoS 1 subscriptions on a persistent session (a fixed client id, MQTT 5
clean start off, a session expiry), and manual acknowledgement: a message is acknowledged only
once the pipeline has committed its readings to SQLite or fsynced them to the dead-letter file.
A kill -9 therefore leaves every unacknowledged message with the broker, which sends it again
when the monitor reconnects; the resend is stored once thanks to UNIQUE (tag, timestamp).

A message without a timestamp gets its arrival time, so a *resend* of it (after a crash between
commit and acknowledgement) is stored a second time under a later time: MQTT carries no stable
message identity to deduplicate by. Publishers that need exactly-once send timestamps (and
`require_timestamp = true` turns timestamp-less messages away instead).

The network thread never waits for SQLite: messages queue in the inbox, the batcher submits them
in batches, and the acker sends the acknowledgements. The broker's flow control (MQTT 5 Receive
Maximum) bounds how many unacknowledged messages can pile up here. Each connection gets a fresh
client; an acknowledgement meant for a connection that has since dropped is not sent (the broker
resends that message on the new connection, with the same packet id, and it is acked then).
"""

from __future__ import annotations

import logging
import queue
import random
import ssl
import threading
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from sensor_tui.model.readings import Reading
from sensor_tui.pipeline import Pipeline, PipelineStopped
from sensor_tui.sources.config import MqttSettings
from sensor_tui.sources.mqtt_messages import (
    SOURCE,
    MessageReader,
    PendingAcks,
    pending_acks,
    take_batch,
)
from sensor_tui.sources.payloads import BAD_PAYLOAD
from sensor_tui.sources.reasons import CERT_REFUSED, NO_ANSWER, SERVER_DOWN, mqtt_reason

log = logging.getLogger(__name__)

MAX_BATCH_MESSAGES = 5_000
"""Messages per pipeline submit at most (the pipeline groups submits into transactions anyway)."""


class MqttSource:
    """One broker connection and its subscriptions, feeding `pipeline`; `start()` / `stop()`."""

    kind = "mqtt"

    def __init__(self, settings: MqttSettings, pipeline: Pipeline) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.name = settings.name
        self._inbox: queue.SimpleQueue[tuple[paho.MQTTMessage, paho.Client] | None] = (
            queue.SimpleQueue()
        )
        self._acks: queue.SimpleQueue[PendingAcks | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._lost = threading.Event()
        self._closing = threading.Event()
        self._client: paho.Client | None = None
        self._connected = False
        self._refused = False
        self._was_up = False
        self._down_since: float | None = None
        self._messages = MessageReader(settings, pipeline, SOURCE)
        self.acked = 0
        """Messages acknowledged to the broker so far (tests and the benchmark read it)."""
        self._threads = [
            threading.Thread(target=self._connect_loop, name=f"{self.name} link", daemon=True),
            threading.Thread(target=self._batch_loop, name=f"{self.name} batcher", daemon=True),
            threading.Thread(target=self._ack_loop, name=f"{self.name} acker", daemon=True),
        ]

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (with backoff until the broker answers)."""
        self._state("connecting")
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Take no more messages, acknowledge what is stored, then disconnect (session kept).

        Messages that arrive after this point are not acknowledged: the broker keeps them for
        the next start. Call before the pipeline stops, so pending batches can still resolve.
        """
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._inbox.put(None)
        self._threads[1].join(timeout)
        self._acks.put(None)
        self._threads[2].join(timeout)
        self._closing.set()  # the link thread disconnects, after the acknowledgements queued
        self._threads[0].join(timeout)
        self.pipeline.counters.source(self.name, self.kind, state="stopped")  # reason kept

    def _state(self, state: str, error: str = "", reason: str = "") -> None:
        if reason in (SERVER_DOWN, NO_ANSWER):
            self._down_since = self._down_since or time.time()
        elif state == "connected":
            self._down_since = None
        self.pipeline.counters.source(
            self.name, self.kind, state=state, error=error, reason=reason,
            down_since=self._down_since,
        )  # fmt: skip

    # -- the connection --------------------------------------------------------------------

    def _connect_loop(self) -> None:
        """Connect, run paho's network thread until the connection drops, back off, repeat."""
        attempt = 0
        while not self._stopping.is_set():
            client = self._new_client()
            try:
                self._connect(client)
            except Exception as exc:  # refused, unreachable, TLS, unreadable key: all retried
                attempt += 1
                self._failed(exc, attempt)
                continue
            self._lost.clear()
            self._refused = False
            self._was_up = False
            self._client = client
            client.loop_start()
            while not self._lost.wait(0.1):
                if self._closing.is_set():
                    client.disconnect()  # sent after the queued PUBACKs; the session stays
                    self._lost.wait(1.0)
                    break
            client.loop_stop()
            self._connected = False
            # A connection that was up starts the backoff afresh; a refused one keeps growing it.
            attempt = 1 if self._was_up else attempt + 1
            if not self._stopping.is_set():
                self._stopping.wait(self._delay(attempt))

    def _failed(self, exc: Exception, attempt: int) -> None:
        needs_human = isinstance(exc, ssl.SSLError | FileNotFoundError | PermissionError)
        text = f"{type(exc).__name__}: {exc}" if not str(exc).strip() else str(exc)
        self._state("error" if needs_human else "reconnecting", text, mqtt_reason(exc))
        if attempt == 1 or attempt % 10 == 0:
            log.warning("%s: cannot connect (%s); retrying with backoff", self.name, text)
        self._stopping.wait(self._delay(attempt))

    def _delay(self, attempt: int) -> float:
        return self.settings.backoff.delay(attempt) * random.uniform(0.8, 1.2)

    def _new_client(self) -> paho.Client:
        s = self.settings
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=False,  # _connect_loop reconnects, with a fresh client each time
            manual_ack=True,
        )
        if s.username:
            client.username_pw_set(s.username, s.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _connect(self, client: paho.Client) -> None:
        s = self.settings
        if s.tls:
            context = ssl.create_default_context(cafile=s.ca)
            if s.cert:
                context.load_cert_chain(s.cert, s.key)
            client.tls_set_context(context)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = s.session_expiry
        props.ReceiveMaximum = s.receive_maximum
        client.connect(s.host, s.port, s.keepalive, clean_start=False, properties=props)

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        self._refused = reason.is_failure
        if reason.is_failure:  # refused: bad credentials, not authorized, bad client id...
            refusal = str(reason)
            self._state(
                "error", f"broker refused the connection: {refusal}", mqtt_reason(None, refusal)
            )
            log.warning("%s: broker refused the connection: %s", self.name, reason)
            return
        self._connected = self._was_up = True
        self._state("connected")
        log.info("%s: connected (session present: %s)", self.name, flags.session_present)
        # Retain handling 1: retained messages only when the subscription is new, not again at
        # each reconnect of the persistent session.
        options = SubscribeOptions(qos=self.settings.qos, retainHandling=1)
        try:
            client.subscribe([(topic, options) for topic in self.settings.topics])
        except ValueError as exc:  # paho's own check; the config check should have caught it
            self._state("error", f"cannot subscribe: {exc}")

    def _on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
    ) -> None:
        refused = [t for t, r in zip(self.settings.topics, reasons, strict=False) if r.is_failure]
        if refused:
            self._state("error", f"subscription refused: {', '.join(refused)}")
            log.warning("%s: broker refused subscriptions %s", self.name, refused)

    def _on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        was_connected, self._connected = self._connected, False
        if self._stopping.is_set():
            pass
        elif was_connected:
            self._state("reconnecting", f"connection lost: {reason}", SERVER_DOWN)
            log.warning("%s: connection lost (%s); reconnecting", self.name, reason)
        elif not self._refused:  # closed before CONNACK: a TLS peer refusing our certificate
            self._state(
                "error", f"connection closed before the broker accepted it: {reason}", CERT_REFUSED
            )
        self._lost.set()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        if not self._stopping.is_set():  # once stopping, leave it unacked for the next start
            self._inbox.put((message, client))

    # -- messages to readings ----------------------------------------------------------------

    def _batch_loop(self) -> None:
        """Take what the inbox holds (up to a bound), submit it as one batch, repeat."""
        while True:
            items, ended = take_batch(self._inbox, MAX_BATCH_MESSAGES)
            if items:
                self._submit(items)
            if ended:
                return

    def _submit(self, items: list[tuple[paho.MQTTMessage, paho.Client]]) -> None:
        readings: list[Reading] = []
        rejected: list[tuple[int, str]] = []
        offered = 0
        for message, _ in items:
            try:
                offered += self._messages.read(message, readings, rejected, offered)
            except Exception:  # a bug or a message nobody foresaw: reject it, never stall
                self._messages.unreadable()
                rejected.append((offered, BAD_PAYLOAD))
                offered += 1
        self.pipeline.counters.source_messages(self.name, len(items))
        try:
            future = self.pipeline.submit_readings(readings, rejected, offered=offered)
        except PipelineStopped:
            return  # not acknowledged: the broker sends these again at the next start
        except Exception:  # keep the batcher alive; unacknowledged, so the broker resends
            log.exception("%s: submitting %d messages failed", self.name, len(items))
            return
        for pending in pending_acks(items, future):
            self._acks.put(pending)

    # -- acknowledgements ------------------------------------------------------------------

    def _ack_loop(self) -> None:
        """Acknowledge batches in the order they were received, each once it is durable."""
        while True:
            pending = self._acks.get()
            if pending is None:
                return
            try:
                pending.future.result()
            except Exception as exc:  # not durable: leave unacked, the broker keeps it
                log.error("%s: batch not stored (%s); left unacknowledged", self.name, exc)
                continue
            if pending.client is not self._client or not self._connected:
                continue  # that connection is gone; the broker resends on the new one
            for mid, qos in pending.acks:
                pending.client.ack(mid, qos)
            self.acked += len(pending.acks)
