"""From an MQTT topic to a tag name: an explicit table, a template, or the topic's last level.

A plant's topic tree names its tags already (`plant/fermentation/fermenter_temp`), so a template
of the tree's levels says where the tag is: `plant/{area}/{tag}`. Each `{name}` matches exactly
one level, `+` any one level, and a final `#` the rest; `tag_format` builds the tag from the
captured levels when the tag name is not one level (`{area}_{sensor}`). An explicit table
(topic -> tag) wins over the template, for the odd sensor that does not follow the tree.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from sensor_tui.model.tags import ConfigError

_PLACEHOLDER = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def _fields(tag_format: str) -> set[str]:
    """The names a format string uses; ConfigError for anything but plain `{name}` fields."""
    try:
        parsed = list(string.Formatter().parse(tag_format))
    except ValueError as exc:
        raise ConfigError(f"tag_format {tag_format!r}: {exc}") from None
    names = {name for _, name, _, _ in parsed if name is not None}
    if any(not name.isidentifier() for name in names):
        raise ConfigError(f"tag_format {tag_format!r}: use plain {{name}} fields")
    return names


def check_filter(topic_filter: str, where: str) -> str:
    """The filter if MQTT accepts it, else ConfigError: paho refuses a bad one only when the
    connection subscribes, where nobody would see it."""
    levels = topic_filter.split("/")
    if not topic_filter or "\0" in topic_filter or len(topic_filter.encode()) > 65535:
        raise ConfigError(f"{where}: topic filter {topic_filter!r} is empty or too long")
    for i, level in enumerate(levels):
        if ("#" in level and (level != "#" or i != len(levels) - 1)) or (
            "+" in level and level != "+"
        ):
            raise ConfigError(
                f"{where}: topic filter {topic_filter!r}: '#' only as the whole last level, "
                "'+' only as a whole level"
            )
    return topic_filter


def topic_matches(topic_filter: str, topic: str) -> bool:
    """True when an MQTT topic filter (with `+` and `#`) matches a topic name."""
    parts, levels = topic_filter.split("/"), topic.split("/")
    for i, part in enumerate(parts):
        if part == "#":
            return True
        if i >= len(levels) or (part != "+" and part != levels[i]):
            return False
    return len(parts) == len(levels)


@dataclass(frozen=True, slots=True)
class TopicMap:
    """Maps a topic to a tag name, or None when the topic says nothing about the tag."""

    template: tuple[str, ...] = ()
    tag_format: str = "{tag}"
    table: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, template: str | None, tag_format: str | None, table: Mapping[str, str] | None
    ) -> TopicMap:
        """Check a template, format and table from the config; ConfigError says what is wrong."""
        levels = tuple(template.split("/")) if template else ()
        names = set()
        for i, level in enumerate(levels):
            found = _PLACEHOLDER.match(level)
            if found:
                names.add(found.group(1))
            elif level == "#" and i != len(levels) - 1:
                raise ConfigError(f"template {template!r}: '#' may only be the last level")
            elif "{" in level or "}" in level or ("+" in level and level != "+"):
                raise ConfigError(f"template {template!r}: a level is a name, {{field}} or +")
        fmt = tag_format or "{tag}"
        needed = _fields(fmt)
        if levels and not needed <= names:
            missing = ", ".join(sorted(needed - names))
            raise ConfigError(f"template {template!r} has no {{{missing}}} for the tag name")
        if tag_format and not levels:
            raise ConfigError("tag_format needs a template")
        return cls(levels, fmt, dict(table or {}))

    def filters(self) -> list[str]:
        """Topic filters that receive what the map can name: the template's, the table's."""
        out = list(self.table)
        if self.template:
            out.append("/".join("+" if level.startswith("{") else level for level in self.template))
        return out

    def tag_for(self, topic: str) -> str | None:
        """The tag a message on `topic` is about, or None when nothing maps the topic."""
        tag = self.table.get(topic)
        if tag is not None:
            return tag
        if not self.template:
            return None if self.table else topic.rsplit("/", 1)[-1]
        captured = self._capture(topic)
        return None if captured is None else self.tag_format.format_map(captured)

    def _capture(self, topic: str) -> dict[str, str] | None:
        levels = topic.split("/")
        captured: dict[str, str] = {}
        for i, part in enumerate(self.template):
            if part == "#":
                return captured
            if i >= len(levels):
                return None
            if part.startswith("{"):
                captured[part[1:-1]] = levels[i]
            elif part != "+" and part != levels[i]:
                return None
        return captured if len(levels) == len(self.template) else None
