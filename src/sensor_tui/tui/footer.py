"""The footer: Textual's, minus the hints that do not fit whole.

Textual's footer clips its row at the terminal's edge, so at 60 to 80 columns the last hint was
cut mid-word ("c Curso"). A hint is either readable or absent: after each layout the keys that
would cross the right edge are hidden (every key stays in `?` help and the command palette).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Footer


class FittedFooter(Footer):
    """A footer that shows only the key hints that fit entirely."""

    async def recompose(self) -> None:
        """New keys (the focus moved): fit them once they are laid out."""
        await super().recompose()
        self.call_after_refresh(self._fit)

    def on_resize(self, _: events.Resize) -> None:
        """A new width: show every hint again, then hide what no longer fits."""
        for child in self.children:
            child.display = True
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        right = self.region.right
        overflow = False
        for child in self.children:
            overflow = overflow or child.region.right > right
            if overflow:
                child.display = False
