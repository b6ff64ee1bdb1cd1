"""Events: faults and outages, the `events` table's rows and the detector's ground truth.

A leaf module (it imports nothing from the project) so that the pipeline, the simulator and every
source can name an `Event` without importing one another.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

_event_ids = itertools.count(1)


@dataclass(slots=True)
class Event:
    """A fault or an outage: the `events` table's row, ground truth for the detector."""

    kind: str
    start: str
    tag: str | None = None
    end: str | None = None
    source: str = "sim"
    detail: str = ""
    id: str = field(default_factory=lambda: f"{datetime.now(UTC):%Y%m%d%H%M%S}-{next(_event_ids)}")

    def as_row(self) -> dict[str, object]:
        """The row stored in `events`."""
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "tag": self.tag,
            "kind": self.kind,
            "source": self.source,
            "detail": self.detail,
        }
