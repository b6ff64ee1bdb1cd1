"""NO_COLOR without a crash: Textual's monochrome filter fails on an unstyled segment.

With NO_COLOR set (and no native ANSI theme), Textual 8 adds its `Monochrome` line filter, which
calls `style.color` on every segment's style, and a segment may carry none: the first frame
then raises AttributeError and the monitor exits. This filter does the same conversion and
passes an unstyled segment through unchanged; `guard_monochrome` swaps it in for the app.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.app import App
from textual.color import Color
from textual.filter import Monochrome, monochrome_style


class SafeMonochrome(Monochrome):
    """`Monochrome` that leaves segments without a style as they are."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """Every colour to grey; unstyled segments unchanged."""
        return [
            Segment(text, None if style is None else monochrome_style(style), None)
            for text, style, _ in segments
        ]


def guard_monochrome(app: App[Any]) -> None:
    """Replace the app's Monochrome filter (present only under NO_COLOR) with SafeMonochrome."""
    filters = getattr(app, "_filters", None)
    if isinstance(filters, list):
        app._filters = [SafeMonochrome() if type(item) is Monochrome else item for item in filters]
