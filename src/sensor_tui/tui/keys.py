"""The one key table of the monitor: bindings, help, palette and README come from it.

Before this table a key was written four times (the app's BINDINGS, the help screen, the command
palette, and the README as a fifth) and the copies drifted. Now each key is one `Key` row:

- `bindings()` builds the app's `BINDINGS` (footer order is table order; `show` puts a key in the
  footer; `id` lets a user keymap rebind it);
- `help_rows()` gives the help screen its lines, by group;
- `palette_entries(tags)` gives the command palette one entry per action, by name;
- `markdown_table()` is the README's key table (a test checks the README holds it; run
  `python -m sensor_tui.tui.keys` to print it).

Every key is bound on the app, so it works wherever the focus is and the footer shows it in table
order; the action it runs belongs to the widget that owns it, named by a namespace (`alarms.`
for the alarm pane, `charts.` for the charts; none for the app itself).

To add a key: add one row here with an action its owner implements (`action_<name>`). A row whose
`help` is empty is bound but not listed on its own (it is covered by a neighbour's line, e.g. the
number keys 2-9 by the row of key 1).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from textual.binding import Binding

GROUPS: tuple[str, ...] = ("Simulator", "Charts", "Alarms", "Database", "App")
"""The help screen's sections, in the order they are shown."""


@dataclass(frozen=True)
class Key:
    """One key of the monitor: what it does, and where it is shown."""

    id: str
    """Stable name of the binding (a user keymap refers to it)."""
    key: str
    """Textual key name(s), comma-separated when several keys do the same action."""
    action: str
    """The action string, e.g. `inject('spike')` calls `SensorApp.action_inject('spike')`;
    a namespace names the widget that owns the action: `alarms.ack` calls
    `AlarmPane.action_ack()` (the app resolves the namespace to its widget)."""
    description: str
    """Short text in the footer."""
    group: str
    """Section of the help screen (one of GROUPS)."""
    help: str = ""
    """One line for the help screen and the README; empty: not listed on its own."""
    title: str = ""
    """Command palette entry; empty: not in the palette. `{tag}` is the tag's name."""
    show: bool = True
    """Shown in the footer."""
    label: str = ""
    """How the help and README write the key (default: the footer's display, or the key)."""
    key_display: str | None = None
    """How the footer writes the key (default: Textual's name for it)."""
    priority: bool = False
    """Checked before focused widgets (tab must not move focus)."""
    tag_index: int | None = None
    """For tag keys: the index of the tag the entry selects (the palette names the tag)."""
    bound: bool = True
    """False for keys Textual binds itself (listed in help, not bound again)."""

    @property
    def shown_as(self) -> str:
        """The key as people read it in the help and the README."""
        return self.label or self.key_display or self.key


def _inject(kind: str, key: str, what: str) -> Key:
    return Key(
        f"inject-{kind}",
        key,
        f"inject('{kind}')",
        kind.title(),
        "Simulator",
        help=f"inject {what} on the selected tag",
        title=f"Inject {kind}",
        show=False,  # the footer keeps navigation; help and the palette list these
    )


def _tag(number: int) -> Key:
    return Key(
        f"select-tag-{number}",
        str(number),
        f"charts.select({number - 1})",
        "Tag" if number == 1 else f"Tag {number}",
        "Charts",
        help="select a tag by its number (shown on its chart)" if number == 1 else "",
        title="Select {tag}",
        show=number == 1,
        label="1-9" if number == 1 else "",
        key_display="1-9" if number == 1 else None,
        tag_index=number - 1,
    )


def _alarm(
    id: str, key: str, action: str, description: str, help: str, show: bool = False, **kw: str
) -> Key:
    return Key(
        f"alarm-{id}",
        key,
        action,
        description,
        "Alarms",
        help=help,
        title=kw.get("title", ""),
        show=show,
        label=kw.get("label", ""),
    )


ALARM_KEYS: tuple[Key, ...] = (
    _alarm(
        "ack",
        "a",
        "alarms.ack",
        "Ack",
        "acknowledge the selected alarm",
        show=True,
        title="Acknowledge selected alarm",
    ),
    _alarm(
        "ack-all",
        "A",
        "alarms.ack_all",
        "Ack all",
        "acknowledge every alarm in view that waits for it",
        title="Acknowledge all in view",
    ),
    _alarm(
        "shelve",
        "h",
        "alarms.shelve",
        "Shelve",
        "shelve the selected alarm for a chosen time (5 min to 24 h)",
        title="Shelve selected alarm",
    ),
    _alarm(
        "unshelve",
        "u",
        "alarms.unshelve",
        "Unshelve",
        "unshelve the selected alarm (back to where it was)",
        title="Unshelve selected alarm",
    ),
    _alarm(
        "filter",
        "f",
        "alarms.filter",
        "Filter",
        "filter the alarm panel by state (open, all, active, ...) and tag",
        title="Filter alarms",
    ),
    _alarm(
        "detail",
        "enter",
        "alarms.detail",
        "Detail",
        "the selected alarm's journal and readings; the charts move to its span (L: back to live)",
    ),
    _alarm(
        "toggle-table",
        "r",
        "alarms.toggle_table",
        "Table",
        "alarm panel / reading table (the latest anomalous readings)",
        show=True,
        title="Alarm panel / reading table",
    ),
    _alarm(
        "health",
        "H",
        "alarms.health",
        "Health",
        "alarm health: alarms per 10 min, floods, chattering, stale, bad actors, the "
        "detector's grade",
        title="Alarm health",
    ),
)
"""The alarm keys; `AlarmPane` implements their actions (`alarms.` names it)."""


KEYS: tuple[Key, ...] = (
    Key(
        "quit",
        "q",
        "quit",
        "Quit",
        "App",
        help="quit, after flushing every reading to SQLite or the dead-letter file "
        "(also ctrl+c or SIGTERM)",
        title="Quit after flushing",
    ),
    Key("quit-ctrl-c", "ctrl+c", "quit", "Quit", "App", show=False, priority=True),
    Key(
        "help",
        "question_mark",
        "help",
        "Help",
        "App",
        help="this help: keys and panels (escape closes it)",
        title="Help: keys and panels",
        key_display="?",
    ),
    Key(
        "pan-back",
        "left_square_bracket",
        "charts.pan(-1)",
        "Pan",
        "Charts",
        help="pan every chart back one screen (the mouse wheel over a chart pans a tenth)",
        title="Pan back one screen",
        key_display="[ ]",
        label="[",
    ),
    Key(
        "pan-forward",
        "right_square_bracket",
        "charts.pan(1)",
        "Forward",
        "Charts",
        help="pan every chart forward one screen (reaching now follows live again)",
        title="Pan forward one screen",
        show=False,
        label="]",
    ),
    Key(
        "live",
        "L,end",
        "charts.live",
        "Live",
        "Charts",
        help="back to the newest readings, following them (LIVE)",
        title="Back to live",
        key_display="L",
        label="L / end",
    ),
    Key(
        "go-to",
        "g",
        "charts.go_to",
        "Go to",
        "Charts",
        help="go to a date or time (UTC): 2014-02-14, 2014-02-14 13:05, 13:05, -2h, now",
        title="Go to a date / time",
    ),
    Key(
        "widen-window",
        "plus,equals_sign",
        "charts.window(1)",
        "Window",
        "Charts",
        help="widen the time window: 1m, 5m, 15m, 1h, 6h, 24h, 7d, 30d (per-minute and "
        "per-hour rollups beyond 1h)",
        title="Widen time window",
        label="+",
        key_display="+/-",
    ),
    Key(
        "narrow-window",
        "minus",
        "charts.window(-1)",
        "Narrower window",
        "Charts",
        help="narrow the time window",
        title="Narrow time window",
        show=False,
        label="-",
    ),
    Key(
        "pause",
        "p",
        "pause",
        "Pause",
        "Simulator",
        help="pause / resume the simulator",
        title="Pause / resume simulator",
    ),
    _inject("spike", "s", "a spike"),
    _inject("drift", "d", "a drift"),
    _inject("stuck", "k", "a stuck sensor"),
    _inject("noise", "n", "a noise burst"),
    _inject("decouple", "b", "a broken relation (the tag leaves its unit's pattern, in its band)"),
    Key(
        "outage",
        "o",
        "outage",
        "Outage",
        "Database",
        help="database outage on / off: writes fail (logged, reason on screen), charts mark "
        "readings not stored yet, the retry queue then the dead letter grow; off: both drain",
        title="Database outage on / off",
    ),
    Key(
        "choose-site",
        "S",
        "choose_site",
        "Site",
        "Database",
        help="over a historian (--db postgresql://...): choose the site shown (same window)",
        title="Choose the historian's site",
        show=False,
    ),
    Key(
        "freeze",
        "space",
        "charts.freeze",
        "Freeze",
        "Charts",
        help="freeze / unfreeze the charts (ingest continues; the status line counts what arrives)",
        title="Freeze / unfreeze charts",
        show=False,
    ),
    Key(
        "mark-reference",
        "M",
        "charts.mark_reference",
        "Mark normal",
        "Charts",
        help="mark the span in view as normal for the selected unit (or the selected tag's "
        "unit): its detector learns it as the reference, stored for the next start",
        title="Mark the span in view as the unit's reference",
        show=False,
    ),
    _tag(1),
    Key(
        "next-tag",
        "tab",
        "charts.next_tag(1)",
        "Next tag",
        "Charts",
        help="select the next tag",
        title="Next tag",
        show=False,
        priority=True,
    ),
    Key(
        "previous-tag",
        "shift+tab",
        "charts.next_tag(-1)",
        "Previous tag",
        "Charts",
        help="select the previous tag",
        title="Previous tag",
        show=False,
        priority=True,
    ),
    Key(
        "cursor",
        "c",
        "charts.cursor",
        "Cursor",
        "Charts",
        help="cursor on / off: its time and every tag's value at that time",
        title="Cursor on / off",
    ),
    Key(
        "cursor-left",
        "comma",
        "charts.move_cursor(-1)",
        "Cursor left",
        "Charts",
        help="move the cursor left / right (past an edge, the charts follow)",
        show=False,
        label=", / .",
    ),
    Key("cursor-right", "full_stop", "charts.move_cursor(1)", "Cursor right", "Charts", show=False),
    Key(
        "export",
        "x",
        "charts.export",
        "Export",
        "Charts",
        help="export the view (its time span, the tags in view) to a CSV file",
        title="Export the view to CSV",
    ),
    Key(
        "expand",
        "e",
        "charts.expand",
        "Expand",
        "Charts",
        help="expand the selected chart to the whole screen / back",
        title="Expand / collapse chart",
    ),
    *(_tag(number) for number in range(2, 10)),
    *ALARM_KEYS,
    Key(
        "command-palette",
        "ctrl+p",
        "command_palette",
        "Palette",
        "App",
        help="command palette: every action by name",
        show=False,
        bound=False,
    ),
)
"""Every key of the monitor, in footer order."""


OWNERS: tuple[str, ...] = ("alarms", "charts")
"""The namespaces of actions: each is an attribute of the app naming the widget that owns them."""


def owner_and_name(action: str) -> tuple[str, str]:
    """`("alarms", "ack")` for `alarms.ack`; `("", "quit")` for the app's own `quit`."""
    name = action.split("(", 1)[0]
    owner, _, name = name.rpartition(".")
    return owner, name


def bindings(keys: Sequence[Key] = KEYS) -> list[Binding]:
    """The app's BINDINGS, one per bound row."""
    return [
        Binding(
            k.key,
            k.action,
            k.description,
            show=k.show,
            key_display=k.key_display,
            priority=k.priority,
            id=k.id,
        )
        for k in keys
        if k.bound
    ]


def help_rows(keys: Sequence[Key] = KEYS) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(group, [(key, help), ...]) in GROUPS order; rows without help are left out."""
    for group in GROUPS:
        rows = [(k.shown_as, k.help) for k in keys if k.group == group and k.help]
        if rows:
            yield group, rows


def palette_entries(
    tag_names: Sequence[str], keys: Sequence[Key] = KEYS
) -> Iterator[tuple[str, str, str]]:
    """(title, help, action) for the command palette; tag keys name the tag they select."""
    for k in keys:
        if not k.title:
            continue
        if k.tag_index is None:
            yield k.title, f"key {k.shown_as}", k.action
        elif k.tag_index < len(tag_names):
            title = k.title.format(tag=tag_names[k.tag_index])
            yield title, f"key {k.key}", k.action


def markdown_table(keys: Sequence[Key] = KEYS) -> str:
    """The README's key table, group by group, in the help screen's order."""
    lines = ["| key | action |", "| --- | --- |"]
    for _, rows in help_rows(keys):
        lines += [f"| `{key}` | {what} |" for key, what in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown_table())
