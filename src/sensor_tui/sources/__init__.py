"""Where readings come from: one module per source, each feeding the one pipeline.

Every source is a small class that owns its thread (or its event loop) and has `start()` and
`stop()`; it turns what its protocol delivers into measurements and hands them to
`Pipeline.submit` / `Pipeline.submit_readings`, so validation, detection, storage, retry and the
dead-letter file are the same for all of them. Adding a protocol (Modbus, Sparkplug B) is one new
module here plus its `[[sources]]` type.

- `simulator`: the built-in process simulator and the thread that ticks it.
- `csv_import`: `sensor-tui import`, a file through the pipeline (runs in the caller's thread).
- `mqtt`: subscribe to a broker, acknowledge each message once its readings are durable.
- `opcua`: subscribe to OPC UA nodes with the server's source timestamps.

Modules are imported on demand: `paho` and `asyncua` load only when such a source is configured.
"""
