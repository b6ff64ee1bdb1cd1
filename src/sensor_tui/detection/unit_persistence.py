"""On-delay and off-delay: when a statistic above its limit becomes an alarm, and when it ends.

A single observation above the limit is as often noise as fault; an alarm that flickers off for
one observation inside a fault opens a second alarm row. So a unit alarm starts after `on_delay`
observations in a row above the limit and ends after `off_delay` in a row below it: small
numbers, because every observation of delay is an alarm that starts or ends late.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Persistence:
    """Turns "above the limit" per observation into "in alarm" per observation."""

    on_delay: int = 1
    off_delay: int = 1
    active: bool = False
    above: int = 0
    """Observations in a row above the limit."""
    below: int = 0
    """Observations in a row below the limit."""

    def step(self, exceeds: bool) -> bool:
        """Account for one observation; True while the alarm is on."""
        if exceeds:
            self.above += 1
            self.below = 0
            if self.above >= self.on_delay:
                self.active = True
        else:
            self.below += 1
            self.above = 0
            if self.below >= self.off_delay:
                self.active = False
        return self.active

    def reset(self) -> None:
        """Forget the run in progress (a new reference, or a restart)."""
        self.active = False
        self.above = 0
        self.below = 0
