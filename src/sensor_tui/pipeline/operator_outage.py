"""The database outage an operator switches on and off (key `o`, `POST /outage`).

Why apart from the facade: switching is more than flipping the store's `OutageSwitch`. The
status line's outage flag, the outage event in the journal (opened when it starts, ended when
it stops) and the rule that the flag stays up while failed readings still wait for a retry all
go together, and the facade only wires them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sensor_tui.model.counters import Counters
from sensor_tui.model.events import Event
from sensor_tui.model.stored_time import now_ts
from sensor_tui.storage.connection import OutageSwitch

log = logging.getLogger(__name__)


class OperatorOutage:
    """The simulated outage: the switch every writing store reads, its flag and its event."""

    def __init__(
        self,
        switch: OutageSwitch,
        counters: Counters,
        record_event: Callable[[Event], None],
        retry_depth: Callable[[], int],
    ) -> None:
        self.switch = switch
        self.counters = counters
        self.record_event = record_event
        self.retry_depth = retry_depth
        self._event: Event | None = None

    def set(self, on: bool) -> None:
        """Every write fails from now until switched off; a no-op when already so."""
        if on == self.switch.on:
            return
        self.switch.set(on)
        if on:
            log.warning("database outage started by the operator: every write fails until ended")
            self.counters.set(outage=True, outage_reason="database outage (simulated)")
            self._event = Event("outage", start=now_ts(), source="operator")
        elif self._event is not None:
            log.warning("database outage ended by the operator")
            self._event.end = now_ts()
        if self._event is not None:
            self.record_event(self._event)
        if not on:
            self._event = None
            if self.retry_depth() == 0:  # nothing left to retry: no write will clear the flag
                self.counters.set(outage=False, outage_reason="")
