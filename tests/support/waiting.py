"""Waiting for a condition with a deadline, instead of sleeping a fixed time.

A fixed sleep is either too short on a busy machine (a flaky test) or too long everywhere (a
slow suite). Poll the condition the test is really waiting for, with a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], object], timeout: float, step: float = 0.02) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; return its last truth.

    Use as `assert wait_until(lambda: ..., 10)`: the timeout is a deadline, not a pause, so be
    generous; a passing test returns as soon as the condition holds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
