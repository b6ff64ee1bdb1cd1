"""Where readings come from: one module per source, each feeding the one pipeline.

Every source is a small class that owns its thread (or its event loop) and has `start()` and
`stop()`; it turns what its protocol delivers into measurements and hands them to
`Pipeline.submit` / `Pipeline.submit_readings`, so validation, detection, storage, retry and the
dead-letter file are the same for all of them. Adding a protocol (Modbus, Sparkplug B) is one new
module here plus its `[[sources]]` type.

- `simulator`: the built-in process simulator and the thread that ticks it.
- `csv_import`: `sensor-tui import`, a file through the pipeline. A function, not a thread: an
  import is one bounded job that the command waits for, and parsing in the caller's thread is
  what lets it overlap with the writer thread.
- `mqtt`: subscribe to a broker, acknowledge each message once its readings are durable.
- `opcua`: subscribe to OPC UA nodes with the server's source timestamps.

Modules are imported on demand: `paho` and `asyncua` load only when such a source is configured,
and they come with the package's `mqtt` and `opcua` extras, so a monitor that uses neither does
not install them. A source whose library is missing stops the start with the extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sensor_tui.sources.extras import require_extra

if TYPE_CHECKING:
    from sensor_tui.pipeline import Pipeline
    from sensor_tui.sources.config import SourceSettings


class Source(Protocol):
    """What the monitor needs of a network source: a name, start and stop."""

    name: str
    kind: str

    def start(self) -> None:
        """Begin delivering readings (connect in the background, never block the caller)."""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop delivering; hand what is in hand to the pipeline first (it is still running)."""


def build_source(settings: SourceSettings, pipeline: Pipeline) -> Source:
    """The source for one configured entry; its protocol library is imported only here."""
    from sensor_tui.sources.config import MqttSettings

    if isinstance(settings, MqttSettings):
        require_extra("mqtt")
        from sensor_tui.sources.mqtt import MqttSource

        return MqttSource(settings, pipeline)
    require_extra("opcua")
    from sensor_tui.sources.opcua import OpcUaSource

    return OpcUaSource(settings, pipeline)
