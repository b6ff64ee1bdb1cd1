"""The default detector's rates and limits (`sensor_tui.detection.adaptive`), each with why.

None of them is a scale of a process: scales are learned per tag. These are the speeds of that
learning and the shapes of its decisions, counted in readings of the tag (so a 1 s and a 5 min
stream behave alike). Kept apart so that the detector module holds the algorithm.
"""

from __future__ import annotations

FAST = 0.3
"""Weight of a reading in the fast level (about three readings)."""
SLOW = 0.01
"""Weight of the fast level in the slow reference (about a hundred readings)."""
TREND = 0.005
"""Share of the reference's error that moves its trend (relative to SLOW)."""
DAMP = 0.995
"""Damping of the trend per reading: a trend that is no longer fed fades in a few hundred."""
LEARN = 0.005
"""Weight of a reading in the scales once warmed up (a window of about 200 readings)."""
CLIP = 4.0
"""A statistic enters its scale clipped at this many times the scale (one outlier moves little)."""
AGE_TAU = 0.05
"""Decades over the threshold that a reading after an episode's first keeps at most (shrinking
as 1 / age): the onset carries the fault's surprise, later readings only say it persists."""
QUANTUM = 0.25
"""Share of the sensor's resolution below which no scale falls."""
SUSPECT = 1.0
"""Decades below the threshold from which a reading is suspect: it teaches the estimates only
at the reduced (`absorb`) rate and the quantiles not at all."""
RUN_MEMORY = 0.98
"""Decay per run of repeats of the counts that estimate the chance a repeat continues."""
ONSET_LEARN = 1
"""Readings at the start of each episode that teach the spike statistic's tail."""
ONSET_BOOST = 10.0
"""How much more such a reading teaches than a normal one (recurring outliers are learned in a
few dozen occurrences)."""
CALM = 60
"""Unflagged readings in a row after which a fault's episode is over and its age resets (the
alarm tracker's hold-off: the episode is the alarm)."""
CALM_LEVEL = 1.0
"""Decades of the level statistic under which the level is unremarkable (its 90th percentile):
the reference then is a calm one, kept to recognise a return to it after a drift."""
MOVED = 2.0
"""Decades (the 99th percentile) beyond which the reference has moved away from a calm one, and
within which a jump lands back "at" it (`AdaptiveDetector._returned`)."""
PAST_EVERY = 128
"""Readings between two snapshots of the fast level (a power of two: a mask, not a division)."""
PAST_SLOTS = 8
"""Snapshots kept: the oldest is 896 to 1,024 readings back, longer than a drift."""
UNDO = 0.35
"""A jump undoes a drift when it lands within this share of the distance travelled of where the
fast level was (a snapshot), each snapshot since on the far side of it. Measured 0.25 to 0.5
on the families: 0.5 took a simulator step's onset for the end of a drift."""
JUMP = 3.0
"""Decades of the spike statistic that make a reading a jump (a deviation starting there is a
step); below the threshold, so a step of a few quanta on a quantised sensor is still a step."""
STEP_SETTLE = 20
"""Readings at the start of a step that measure its offset (the fast level's arrival)."""
ARRIVED = 2.0
"""A step's offset is measured until, past `STEP_SETTLE` readings, a reading is within this many
usual spike distances of the fast level: the fast level has arrived (a flat excursion, whose
fast level creeps up clipped, measured too small an offset and left its remainder in the
reference: the normal readings after it were a step for minutes)."""
STEP_TRACK = 0.05
"""Weight of the deviation in a step's offset once measured (about twenty readings): the
process wandering beneath a step moves its offset, not the reference."""
STEP_MEASURED = 20
"""Readings after the fast level arrived at which a step's offset counts as measured (the
offset's mean has caught up, `STEP_TRACK`); its later change is the process beneath the step."""
SMOOTHED = 0.1
"""Relative learning rate of the quantiles of the smoothed statistics (level and noise)."""
SCALE_HOLD = 3.0
"""Decades of the level statistic (its 99.9th percentile) from which the level teaches its own
scale only at the absorbing rate: a slow drift widened the scale it was judged by at 1% a
reading and never stood out. Not lower: the simulator's own slow sine would then stand out."""
SMOOTHED_CLIP = 3.0
"""Clip of the level statistic when it enters its scale (it moves in runs, see SMOOTHED)."""
NOISE_CLIP = 8.0
"""A change enters the short mean change clipped at this many usual changes (a spike's two
jumps must not look like a burst of noise)."""
NOISE = 0.2
"""Weight of a change in the short mean change (about five readings)."""
LONG = 1200
"""Flagged readings in one episode after which the fault is the tag's new normal: its readings
teach at the full rate again, quantiles and runs of repeats included. Without it a lasting
change that the slow absorbing rate never catches up with (bursts of a thousand times the usual
size, a level that moved for good) holds one alarm open for thousands of readings, and hides
every later fault inside it."""
