"""The model every layer shares: readings and their timestamps, tags and the
configuration, operator time expressions, events, counters, and the error base.

It imports nothing else of sensor_tui, so any layer may import it."""
