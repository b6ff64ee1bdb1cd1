"""MQTT messages to readings, and the acknowledgements a batch of them owes.

Why a module apart from the connection (`mqtt.py`): what a message *means* (payload forms, the
topic-to-tag mapping, `require_timestamp`, which rejection reason) and which acknowledgements a
submitted batch owes are decided here, from the messages alone; the connection's threads call
this, and nothing here talks to the broker.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

import paho.mqtt.client as paho

from sensor_tui.model.readings import NOT_AN_OBJECT, Reading, Rejected
from sensor_tui.pipeline import BatchResult, Pipeline
from sensor_tui.sources.config import MqttSettings
from sensor_tui.sources.payloads import MISSING_TIMESTAMP, UNMAPPED_TOPIC, decode

log = logging.getLogger("sensor_tui.sources.mqtt")  # the source's one logger, as before

SOURCE = "mqtt"
"""The `source` column of readings that came over MQTT."""

Item = TypeVar("Item")


def take_batch(inbox: queue.SimpleQueue[Item | None], bound: int) -> tuple[list[Item], bool]:
    """Wait for one item, then take what else the inbox holds, up to `bound` items.

    Returns the items and whether the end marker (None) was met: the caller submits the items,
    then stops if it was.
    """
    first = inbox.get()
    if first is None:
        return [], True
    items = [first]
    while len(items) < bound:
        try:
            item = inbox.get_nowait()
        except queue.Empty:
            break
        if item is None:
            return items, True
        items.append(item)
    return items, False


@dataclass(slots=True)
class PendingAcks:
    """A submitted batch: its future and the messages to acknowledge once it resolves."""

    future: Future[BatchResult]
    client: paho.Client
    acks: list[tuple[int, int]]  # (mid, qos) of QoS > 0 messages


def pending_acks(
    items: list[tuple[paho.MQTTMessage, paho.Client]], future: Future[BatchResult]
) -> list[PendingAcks]:
    """The acknowledgements a submitted batch owes, one group per client (connection) the
    messages came on; QoS 0 messages owe none."""
    by_client: dict[int, PendingAcks] = {}
    for message, client in items:
        if message.qos:
            pending = by_client.get(id(client))
            if pending is None:
                pending = by_client[id(client)] = PendingAcks(future, client, [])
            pending.acks.append((message.mid, message.qos))
    return list(by_client.values())


class MessageReader:
    """Turns one source's messages into readings and rejections, logging rejections gently."""

    def __init__(self, settings: MqttSettings, pipeline: Pipeline, source: str) -> None:
        self._settings = settings
        self._pipeline = pipeline
        self._source = source
        self._tags: dict[str, str | None] = {}
        self._last_warning = 0.0
        self._last_unreadable = -60.0
        self.name = settings.name

    def read(
        self,
        message: paho.MQTTMessage,
        readings: list[Reading],
        rejected: list[tuple[int, str]],
        index: int,
    ) -> int:
        """Append the message's readings and rejections; return how many items it offered."""
        topic = message.topic
        try:
            items = decode(message.payload)
        except Rejected as exc:
            self._rejected(topic, exc)
            rejected.append((index, exc.reason))
            return 1
        topic_tag = self._tag_for(topic)
        validate = self._pipeline.validator.validate
        require_timestamp = self._settings.require_timestamp
        for i, item in enumerate(items):
            try:
                if not isinstance(item, Mapping):
                    raise Rejected(NOT_AN_OBJECT, f"list item {i}")
                tag = item.get("tag") or topic_tag
                if tag is None:
                    raise Rejected(UNMAPPED_TOPIC, topic)
                stamp = item.get("timestamp")
                if require_timestamp and stamp in (None, ""):
                    raise Rejected(MISSING_TIMESTAMP)
                readings.append(validate(tag, item.get("value"), stamp, self._source))
            except Rejected as exc:
                self._rejected(topic, exc)
                rejected.append((index + i, exc.reason))
        return len(items)

    def _tag_for(self, topic: str) -> str | None:
        tag = self._tags.get(topic, "")
        if tag == "":
            if len(self._tags) > 100_000:  # a topic tree with ever new names: do not grow forever
                self._tags.clear()
            tag = self._tags[topic] = self._settings.mapping.tag_for(topic)
        return tag

    def unreadable(self) -> None:
        """Log a message nobody foresaw with its traceback, at most once a minute: a publisher
        repeating it must not flood the log."""
        now = time.monotonic()
        if now - self._last_unreadable >= 60.0:
            self._last_unreadable = now
            log.exception("%s: a message could not be read; rejected", self.name)

    def _rejected(self, topic: str, exc: Rejected) -> None:
        """Log a rejection with its reason, at most one line a second (a flood stays readable)."""
        now = time.monotonic()
        if now - self._last_warning >= 1.0:
            self._last_warning = now
            log.warning("%s: rejected a reading on %s: %s", self.name, topic, exc)
