"""The alarm life cycle (ISA-18.2 / IEC 62682), as pure transitions on a state name.

    episode opens ──> UNACK ──ack──> ACKED
                        │              │
               episode ends      episode ends
                        v              v
                    RTN_UNACK ──ack──> NORMAL

Any state but NORMAL can be shelved until a time; unshelving (by the operator, or when the time
is up) returns it to where it was, as the episode has moved on meanwhile: a shelved
active-unacknowledged alarm whose fault ended comes back returned-to-normal-unacknowledged.
Each function answers the new state and raises `AlarmCommandError` for a command that does
not apply, so the caller (the writer) journals only real transitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sensor_tui.model.errors import SensorTuiError

UNACK = "unack"
ACKED = "acked"
RTN_UNACK = "rtn_unack"
NORMAL = "normal"
SHELVED = "shelved"

STATES = (UNACK, ACKED, RTN_UNACK, SHELVED, NORMAL)
"""Every state, most urgent first (the panel sorts by this)."""

LABELS = {
    UNACK: "ACTIVE UNACK",
    ACKED: "ACTIVE ACK",
    RTN_UNACK: "RTN UNACK",
    SHELVED: "SHELVED",
    NORMAL: "NORMAL",
}
"""What the panel, the CLI and notifications print."""

ACTIVE_STATES = (UNACK, ACKED)
UNACKED_STATES = (UNACK, RTN_UNACK)
OPEN_STATES = (UNACK, ACKED, RTN_UNACK, SHELVED)
"""States that still ask something of the operator (the panel's default view)."""

COMMANDS = ("ack", "shelve", "unshelve")


class AlarmCommandError(SensorTuiError):
    """An operator command that does not apply to the alarm (acknowledging a normal one)."""


class UnknownAlarm(SensorTuiError):
    """No alarm has this id."""


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The life-cycle part of an alarm row: its state and, while shelved, where it returns."""

    state: str
    shelved_from: str | None = None


def opened() -> Lifecycle:
    """A new episode: active and not yet acknowledged."""
    return Lifecycle(UNACK)


def _ended(state: str) -> str:
    return {UNACK: RTN_UNACK, ACKED: NORMAL}.get(state, state)


def _reopened(state: str) -> str:
    return {RTN_UNACK: UNACK, NORMAL: UNACK}.get(state, state)


def episode(current: Lifecycle, active: bool) -> Lifecycle:
    """The tracker reports the episode active or ended: the state that follows."""
    move = _reopened if active else _ended
    if current.state == SHELVED:
        return Lifecycle(SHELVED, move(current.shelved_from or UNACK))
    return Lifecycle(move(current.state))


def ack(current: Lifecycle) -> Lifecycle:
    """Acknowledge: active -> active-acknowledged, returned -> normal."""
    if current.state == UNACK:
        return Lifecycle(ACKED)
    if current.state == RTN_UNACK:
        return Lifecycle(NORMAL)
    raise AlarmCommandError(f"cannot acknowledge an alarm that is {LABELS[current.state]}")


def shelve(current: Lifecycle) -> Lifecycle:
    """Shelve: hidden from the operator's attention until a time (or until unshelved)."""
    if current.state == NORMAL:
        raise AlarmCommandError("cannot shelve an alarm that is NORMAL")
    if current.state == SHELVED:
        return current  # a new time, the same place to return to
    return Lifecycle(SHELVED, current.state)


def unshelve(current: Lifecycle) -> Lifecycle:
    """Back to where the alarm was, as its episode has moved on."""
    if current.state != SHELVED:
        raise AlarmCommandError(f"cannot unshelve an alarm that is {LABELS[current.state]}")
    return Lifecycle(current.shelved_from or UNACK)
