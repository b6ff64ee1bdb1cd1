"""What one write did to an alarm: the row after it, and the transition it went through.

Defined in the alarm domain, not in storage, so that the notifier, the pipeline's subscribers
and the terminal UI depend on the alarm model only; storage returns these from its writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor_tui.model.alarm_record import AnyAlarmRow


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """An alarm row after a write, and the transition it went through (None: only extended)."""

    row: AnyAlarmRow
    """The stored record after a local write (contributions as JSON text); the read-back row
    (contributions decoded) when a viewer follows the historian (see `model.alarm_record`)."""
    from_state: str | None
    to_state: str | None
    actor: str = "detector"
    via: str = "pipeline"

    @property
    def transition(self) -> bool:
        """True when the state changed (notifications are sent for these only)."""
        return self.to_state is not None and self.to_state != self.from_state
