"""The model every layer shares: readings, the stored time form and its conversions
(`stored_time`), the strict timestamp grammar of sources (`timestamps`), operator time
expressions (`when`), tags and the configuration, fault kinds (`faults`), the alarm record
(`alarm_record`), events, counters, and the error base.

It imports nothing else of sensor_tui, so any layer may import it."""
