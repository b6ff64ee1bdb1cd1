"""Fixtures for the fault suite (helpers live in `helpers.py`)."""

from tests.reliability.helpers import make_pipeline

__all__ = ["make_pipeline"]
