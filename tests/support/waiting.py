"""Waiting for a condition with a deadline, instead of sleeping a fixed time: one helper for
plain code and one for a running Textual app.

A fixed sleep is either too short on a busy machine (a flaky test) or too long everywhere (a
slow suite). Poll the condition the test is really waiting for, with a deadline. Both helpers
*raise* when the deadline passes, naming what was awaited: a helper that returned False would
let a test that forgot to assert on it pass silently.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any


def describe(predicate: Callable[[], object], what: str | None) -> str:
    """`what`, else the predicate's source line (a lambda's text says what was awaited)."""
    if what:
        return what
    try:
        return " ".join(inspect.getsource(predicate).split())
    except (OSError, TypeError):
        return getattr(predicate, "__qualname__", repr(predicate))


def wait_until(
    predicate: Callable[[], object],
    timeout: float = 20.0,
    what: str | None = None,
    step: float = 0.02,
) -> None:
    """Poll `predicate` until it is true; fail the test after `timeout` seconds.

    The timeout is a deadline, not a pause, so be generous: a passing test returns as soon as
    the condition holds. The failure names `what` (default: the predicate's source line).
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout:g} s: {describe(predicate, what)}")
        time.sleep(step)


async def app_wait_until(
    pilot: Any,
    predicate: Callable[[], object],
    timeout: float = 10.0,
    what: str | None = None,
) -> None:
    """Let the app under `pilot` run until `predicate()` holds; fail after `timeout` seconds.

    The app's own loop must turn meanwhile (a blocking sleep would freeze it), hence
    `pilot.pause` between polls.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout:g} s: {describe(predicate, what)}")
        await pilot.pause(0.05)
