"""Alarms an operator works: states, priority, health KPIs, live grading, notices.

The detector's `AlarmTracker` decides when a fault's alarm opens and ends (the `alarms` row's
tag, kind, start, end, peak_score, readings, active). This package builds the ISA-18.2 life
cycle on top of that row: who acknowledged it, whether it is shelved, how urgent it is. Pure
logic lives here; its SQL lives in `sensor_tui.storage.alarms`, and every write goes through the
pipeline's one writer thread.
"""
