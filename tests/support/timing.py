"""Timing assertions out of the default run.

A bound on how long something takes is a figure of the machine as much as of the code: on two
shared cores it fails now and then. Tests that check a behaviour *and* a speed take `limit` from
`time_limits(tight, guard)`: the default run uses `guard`, a hang guard far above the figure
(it fails only when the behaviour is missing), and `pytest -m timing` adds the `tight` figure.
Tests that are only about speed carry `@pytest.mark.timing` themselves.
"""

from __future__ import annotations

import pytest


def time_limits(tight: float, guard: float) -> pytest.MarkDecorator:
    """Parametrize `limit`: `guard` in the default run, `tight` under `-m timing`."""
    return pytest.mark.parametrize(
        "limit",
        [
            pytest.param(guard, id="guard"),
            pytest.param(tight, id="tight", marks=pytest.mark.timing),
        ],
    )
