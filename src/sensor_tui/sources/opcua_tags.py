"""The tags of one OPC UA session, each subscribed, failed or waiting for its own retry.

A PLC program change that removes one node must not stop the other tags of that PLC. So a tag
whose node the server refuses (`BadNodeIdUnknown` at subscribe) or later withdraws (a data change
carrying `BadNodeIdUnknown`, as a server sends when the node is deleted) is marked failed with
the status name, and retried alone on its own backoff; the session and the other tags go on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from asyncua import Client, Node, ua

from sensor_tui.sources.config import Backoff
from sensor_tui.sources.reasons import status_name

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
"""Data changes the server queues per node between two publishes (its default of 1 keeps only
the newest when a node changes twice within one publishing interval)."""

NODE_GONE = frozenset(
    {
        "BadNodeIdUnknown",
        "BadNodeIdInvalid",
        "BadAttributeIdInvalid",
        "BadNotReadable",
        "BadUserAccessDenied",
        "BadMonitoredItemIdInvalid",
        "BadNotSupported",
    }
)
"""Data-change statuses that say the node is out of reach, not that the value is bad: the tag is
re-subscribed later, instead of each notification being counted as a bad reading."""


@dataclass(slots=True)
class _Failed:
    """A tag out of the subscription: why, how often tried, when next."""

    status: str
    attempt: int = 1
    due: float = field(default_factory=time.monotonic)


class TagSubscriptions:
    """The monitored items of one subscription, by tag; failed tags with their retry times."""

    def __init__(
        self, client: Client, nodes: dict[str, str], backoff: Backoff, source_name: str
    ) -> None:
        self.client = client
        self.nodes = nodes  # tag -> node id string
        self.backoff = backoff
        self.name = source_name
        self.by_node: dict[str, str] = {}  # node id string -> tag, for notifications
        self.handles: dict[str, int] = {}  # tag -> monitored item handle
        self.failed: dict[str, _Failed] = {}
        self.subscription: Any = None

    async def start(self, handler: Any, interval: float) -> list[str]:
        """Create the subscription and subscribe every tag; return the tags now subscribed."""
        self.subscription = await self.client.create_subscription(interval, handler)
        return await self._subscribe(list(self.nodes))

    async def _subscribe(self, tags: list[str]) -> list[str]:
        nodes: list[Node] = []
        for tag in tags:
            node = self.client.get_node(self.nodes[tag])
            self.by_node[node.nodeid.to_string()] = tag
            nodes.append(node)
        results = await self.subscription.subscribe_data_change(nodes, queuesize=QUEUE_SIZE)
        done: list[str] = []
        for tag, result in zip(tags, results, strict=True):
            if isinstance(result, int):
                self.handles[tag] = result
                self.failed.pop(tag, None)
                done.append(tag)
            else:
                self._fail(tag, status_name(result))
        return done

    def _fail(self, tag: str, status: str) -> None:
        old = self.failed.get(tag)
        attempt = old.attempt + 1 if old else 1
        delay = self.backoff.delay(attempt)
        self.failed[tag] = _Failed(status, attempt, time.monotonic() + delay)
        if old is None or attempt % 10 == 0:
            log.warning(
                "%s: tag %s (%s): %s; the other tags go on, retrying it in %.1f s",
                self.name, tag, self.nodes[tag], status, delay,
            )  # fmt: skip

    def withdrawn(self, tag: str, status: str) -> None:
        """A data change said the node is gone: take the tag out, retry it later."""
        self.handles.pop(tag, None)
        if tag not in self.failed:
            self._fail(tag, status)

    async def retry_due(self) -> list[str] | None:
        """Try the failed tags whose time has come: None if none was due, else those back."""
        now = time.monotonic()
        due = [tag for tag, failed in self.failed.items() if failed.due <= now]
        if not due:
            return None
        for tag in due:
            await self._drop_item(tag)
        back = await self._subscribe(due)
        if back:
            log.info("%s: tag(s) %s subscribed again", self.name, ", ".join(back))
        return back

    async def _drop_item(self, tag: str) -> None:
        """Delete a stale monitored item (the server may keep it after deleting its node)."""
        handle = self.handles.pop(tag, None)
        if handle is not None:
            try:
                await self.subscription.unsubscribe(handle)
            except (ua.UaError, KeyError) as exc:
                log.debug("%s: unsubscribe %s: %s", self.name, tag, exc)

    def failures(self) -> dict[str, str]:
        """Failed tag -> status name."""
        return {tag: failed.status for tag, failed in self.failed.items()}
