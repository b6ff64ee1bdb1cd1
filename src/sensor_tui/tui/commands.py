"""The monitor's keys and command-palette entries, in one place (issue 12 added navigation).

The footer shows the keys an operator needs first (quit, help, navigation, window, outage); the
rest are in the help screen (?) and the palette (ctrl+p).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from sensor_tui.tui.app import SensorApp

FAULT_KEYS = {"spike": "s", "drift": "d", "stuck": "k", "noise": "n"}

BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit"),
    Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    Binding("question_mark", "help", "Help", key_display="?"),
    Binding("left_square_bracket", "pan(-1)", "Pan", key_display="[ ]"),
    Binding("right_square_bracket", "pan(1)", "Forward", show=False),
    Binding("L,end", "live", "Live", key_display="L"),
    Binding("g", "go_to", "Go to"),
    Binding("plus,equals_sign", "window(1)", "Window", key_display="+/-"),
    Binding("minus", "window(-1)", "Narrower window", show=False),
    Binding("c", "cursor", "Cursor"),
    Binding("comma", "move_cursor(-1)", "Cursor left", show=False),
    Binding("full_stop", "move_cursor(1)", "Cursor right", show=False),
    Binding("x", "export", "Export"),
    Binding("o", "outage", "Outage"),
    Binding("e", "expand", "Expand"),
    Binding("p", "pause", "Pause"),
    Binding("space", "freeze", "Freeze", show=False),
    *(
        Binding(key, f"inject('{kind}')", kind.title(), show=False)
        for kind, key in FAULT_KEYS.items()
    ),
    Binding("1", "select(0)", "Tag", key_display="1-9", show=False),
    Binding("tab", "next_tag(1)", "Next tag", show=False, priority=True),
    Binding("shift+tab", "next_tag(-1)", "Previous tag", show=False, priority=True),
    *(Binding(str(n), f"select({n - 1})", f"Tag {n}", show=False) for n in range(2, 10)),
]


def system_commands(app: SensorApp) -> Iterator[SystemCommand]:
    """Every action of the keys, by name, for the command palette."""
    yield SystemCommand("Pause / resume simulator", "key p", app.action_pause)
    yield SystemCommand("Freeze / unfreeze charts", "key space", app.action_freeze)
    for kind, key in FAULT_KEYS.items():
        inject = partial(app.action_inject, kind)
        yield SystemCommand(f"Inject {kind}", f"key {key}: on the selected tag", inject)
    yield SystemCommand("Database outage on / off", "key o", app.action_outage)
    yield SystemCommand("Pan back one screen", "key [", partial(app.action_pan, -1))
    yield SystemCommand("Pan forward one screen", "key ]", partial(app.action_pan, 1))
    yield SystemCommand("Go to a date / time", "key g", app.action_go_to)
    yield SystemCommand("Back to live", "key L or end", app.action_live)
    yield SystemCommand("Cursor on / off", "key c (move with , and .)", app.action_cursor)
    yield SystemCommand("Export the view to CSV", "key x", app.action_export)
    yield SystemCommand("Widen time window", "key +", partial(app.action_window, 1))
    yield SystemCommand("Narrow time window", "key -", partial(app.action_window, -1))
    yield SystemCommand("Expand / collapse chart", "key e", app.action_expand)
    yield SystemCommand("Next tag", "key tab", partial(app.action_next_tag, 1))
    for i, tag in enumerate(app.monitor.config.tags):
        select = partial(app.action_select, i)
        yield SystemCommand(f"Select {tag.name}", f"key {i + 1}", select)
    yield SystemCommand("Help: keys and panels", "key ?", app.action_help)
    yield SystemCommand("Quit after flushing", "key q", app.action_quit)
