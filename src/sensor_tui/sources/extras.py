"""The optional libraries of the network sources, and the message when one is missing.

paho-mqtt and asyncua come with the package's `mqtt` and `opcua` extras, so a monitor that uses
neither does not install them. Kept in a module of its own so that the sources' settings can
check for their library without importing the sources package's face (no import cycle).
"""

from __future__ import annotations

import importlib.util

from sensor_tui.model.errors import SensorTuiError

EXTRAS = {"mqtt": ("paho", "mqtt"), "opcua": ("asyncua", "opcua")}
"""Source kind -> (the module it needs, the package extra that installs it)."""


class MissingExtra(SensorTuiError):
    """A configured source whose protocol library is not installed."""


def require_extra(kind: str) -> None:
    """Refuse, naming the extra to install, when the library a source kind needs is missing."""
    module, extra = EXTRAS[kind]
    if importlib.util.find_spec(module) is None:
        raise MissingExtra(
            f"the {kind} source needs the '{extra}' extra, which is not installed: "
            f"pip install 'sensor-tui[{extra}]' (from a clone: pip install '.[{extra}]')"
        )
