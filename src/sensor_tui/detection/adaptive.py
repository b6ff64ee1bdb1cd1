"""The default detector: learns each tag from its own data, returns a calibrated score.

Nothing in it is a constant of the simulator: every scale is learned from the tag's history
(warm-up readings learn fast, later ones slowly), and every decision is a tail probability of
the tag's own recent statistics (`sensor_tui.detection.likelihood`). Readings are first judged
against their time of day (`sensor_tui.detection.seasonal`, once a day has been seen). Then four
questions, four statistics, each over what is usual for this tag:

- spike: how far is the reading from a fast level (an EWMA of a few readings, which follows the
  process and ignores a lone outlier), over the usual distance (`_sa`);
- level (step, drift): how far has the fast level moved from a slow reference (a damped Holt
  level and trend, so slow trends and warm-up ramps are followed), over the usual distance
  between the two (`_sb`). A step when the deviation began with a jump, else a drift;
- noise: the recent mean change from reading to reading (short EWMA, each change clipped) over
  the usual one (`_sd`, the tag's rate of change);
- stuck: a run of exactly repeated values; its raw tail is c^run, c this tag's learned chance
  that a repeat is followed by another, calibrated against the tag's own completed runs (a
  quantised sensor dwells on one value for long stretches).

A fifth looks further back (`sensor_tui.detection.period`): the tag's own period, learned from
its readings, and how far a short mean is from the same phase of each of the last three periods
(a holiday in a weekly pattern, a cycle that flattens); flagged as a drift.

No scale falls below a quarter of the sensor's resolution (its smallest change seen), so a
one-count blip on a sensor that repeats one value is one count, not a thousand tiny scales.

The score is the largest of the four: decades of tail probability d, stored as 1 - 10^(-d/10)
(`DEFAULT_THRESHOLD` 0.7 is d = 5.2, one in 170,000 of this tag's readings). `out_of_band` is a
configured limit, not a statistic: after `oob_readings` readings in a row outside the tag's normal
band, when nothing else is flagged, the reading is flagged with the threshold as its score. The
first reading of an episode (an alarm) carries the fault's surprise; later ones are stored just
over the threshold (they say the fault persists), so scores rank onsets first.

A suspect reading (within a decade of the threshold) teaches the estimates at a tenth of their
rate (`absorb`) and the quantiles not at all: a fault is measured against the process as it was,
yet nothing locks in: a lasting new level or noise becomes normal within a few thousand
readings, whatever kinds alternate meanwhile, and an episode that has been flagged for `LONG`
readings teaches at the full rate (its changes are the new normal, so it cannot hide the next
fault). An outlier that opens an episode does teach the
spike statistic's tail, so outliers that keep coming back (bursty counts) become expected. Under
a step, the reference is frozen (projected along its trend), so the alarm ends when the step
does; after a drift, the reference saved at its start is restored as soon as the readings are
back, so the end of a drift is never taken for a new fault. After a gap in the timestamps (a
restart) a level inside the band is learned, not alarmed on (`sensor_tui.detection.gaps`).

Durations count readings of this tag, so a 1 s and a 5 min stream behave alike.

Why `update` is one long function, over the house limit of 60 lines, and this module over 300:
it is one algorithm's hot loop, run for every reading of every tag, with a budget of 5 µs per
reading (`benchmarks/detection.py`). In CPython each call and each value handed between steps
costs: split into five named steps of at most 60 lines (measure, score, learn, follow, verdict),
the same code cost 8 to 12% more per reading, about 0.5 µs, measured against this one in the
same run, which the budget does not have. So only the paths that most readings skip are
methods of their own (a jump, the end of a run of repeats, a snapshot of the level, a step's
reference, the return to a reference); the common path is written out, down to the first case
of `_decades` (most readings are below the 90th percentile of all three statistics) and the
quantile trackers' three updates in one call (`track_three`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sensor_tui.detection.base import DEFAULT_THRESHOLD, Verdict
from sensor_tui.detection.gaps import RELEARN, GapWatch
from sensor_tui.detection.likelihood import LOG_SCALE, PRIORS
from sensor_tui.detection.likelihood import decades as _decades
from sensor_tui.detection.likelihood import track as _track
from sensor_tui.detection.likelihood import track_three as _track3
from sensor_tui.detection.period import PeriodModel
from sensor_tui.detection.recent import RECENT_BELOW, RECENT_SPAN, RecentRange
from sensor_tui.detection.seasonal import DailyProfile
from sensor_tui.detection.tuning import (
    AGE_TAU,
    ARRIVED,
    CALM,
    CALM_LEVEL,
    CLIP,
    DAMP,
    FAST,
    JUMP,
    LEARN,
    LONG,
    MOVED,
    NOISE,
    NOISE_CLIP,
    ONSET_BOOST,
    ONSET_LEARN,
    PAST_EVERY,
    PAST_SLOTS,
    QUANTUM,
    RUN_MEMORY,
    SCALE_HOLD,
    SLOW,
    SMOOTHED,
    SMOOTHED_CLIP,
    STEP_MEASURED,
    STEP_SETTLE,
    STEP_TRACK,
    SUSPECT,
    TREND,
    UNDO,
)
from sensor_tui.model.faults import FaultKind

KIND_SPIKE, KIND_NOISE, KIND_STUCK = (
    FaultKind.SPIKE.value, FaultKind.NOISE.value, FaultKind.STUCK.value
)  # fmt: skip
KIND_DRIFT, KIND_STEP, KIND_OUT_OF_BAND = (
    FaultKind.DRIFT.value, FaultKind.STEP.value, FaultKind.OUT_OF_BAND.value
)  # fmt: skip
"""The kinds this detector names, as the enum's plain text bound once: an enum lookup, or a
comparison of enum members (a str subclass misses the interpreter's exact-str fast path), per
reading would cost the hot loop."""

_NORMAL: Verdict = (False, 0.0, None)


class AdaptiveDetector:
    """Learned per-tag statistics, calibrated to a score in [0, 1]; see the module docstring.

    Settings: `band` the tag's normal band (None: no out_of_band); `threshold` the score that
    flags; `warmup` readings learned from before the first verdict; `absorb` the share of the
    learning rate kept while flagged; `oob_readings` readings in a row outside the band before
    out_of_band.
    """

    __slots__ = (
        "_age",
        "_calm",
        "_calm_ls",
        "_calm_n",
        "_calm_tr",
        "_cont",
        "_episode",
        "_fd",
        "_flag_at",
        "_gaps",
        "_last_jump",
        "_lf",
        "_lf_past",
        "_ls",
        "_moved",
        "_n",
        "_offset",
        "_offset0",
        "_oob_run",
        "_past_i",
        "_period",
        "_prev",
        "_profile",
        "_qa",
        "_qb",
        "_qc",
        "_qs",
        "_quantum",
        "_recent",
        "_ref",
        "_relearn_until",
        "_repeats",
        "_run",
        "_sa",
        "_sb",
        "_sd",
        "_season",
        "_settled",
        "_stepping",
        "_stops",
        "_tr",
        "_undone",
        "absorb",
        "band",
        "oob_readings",
        "slow",
        "threshold",
        "warmup",
    )

    def __init__(
        self,
        band: tuple[float, float] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        warmup: int = 150,
        absorb: float = 0.1,
        oob_readings: int = 30,
        slow: float = SLOW,
    ) -> None:
        self.slow = slow
        self.band = band
        self.threshold = threshold
        self._flag_at = -LOG_SCALE * math.log10(max(1e-300, 1.0 - threshold))
        self.warmup = warmup
        self.absorb = absorb
        self.oob_readings = oob_readings
        self._n = 0
        self._moved = 0
        self._prev = 0.0
        self._profile = DailyProfile()
        self._period = PeriodModel()
        self._season = 0.0
        self._quantum = 1e308
        self._lf = 0.0
        self._ls = 0.0
        self._tr = 0.0
        self._sa = 0.0
        self._sb = 0.0
        self._sd = 0.0
        self._fd = 0.0
        self._run = 0
        self._cont = 0.1
        self._repeats = 1.0
        self._stops = 9.0
        self._qa = list(PRIORS)
        self._qb = list(PRIORS)
        self._qc = [1.6, 2.2, 2.8]
        self._qs = [1.0, 2.0, 3.0]  # a run's raw decades: a geometric run's own quantiles
        self._episode = 0
        self._stepping = False
        self._settled = 0
        self._offset0 = 0.0
        self._offset = 0.0
        self._ref = (0.0, 0.0, 0)
        self._age = 0
        self._calm = 0
        self._last_jump = -(10**9)
        self._oob_run = 0
        self._recent = RecentRange(RECENT_SPAN)
        self._gaps = GapWatch()
        self._lf_past = [0.0] * PAST_SLOTS
        self._past_i = 0
        self._undone = -(10**9)
        self._calm_ls = self._calm_tr = 0.0
        self._calm_n = 0
        self._relearn_until = 0

    @property
    def warming_up(self) -> bool:
        """True until `warmup` readings after the tag's first change (no verdict before)."""
        return self._moved == 0 or self._n - self._moved < self.warmup

    def warm(self, values: Iterable[float]) -> None:
        """Learn from stored history without flagging, so a restart has no blind spot."""
        self.warm_readings((value, "") for value in values)

    def warm_readings(self, readings: Iterable[tuple[float, str]]) -> None:
        """Learn from stored (value, timestamp) history: as `warm`, and the daily profile
        learns from it too (after a restart a daily cycle is known at once, not a day later)."""
        for value, timestamp in readings:
            self.update(value, timestamp)

    def update(self, value: float, timestamp: str) -> Verdict:
        """Score the next reading of this tag and learn from it."""
        n = self._n = self._n + 1
        if n == 1:
            self._prev = self._lf = self._ls = value
            return _NORMAL
        prev = self._prev
        self._prev = value
        band = self.band
        # After a gap (a restart, a lost link) the process has moved on: inside the band, its
        # new level is learned, not judged against the level before the gap (gaps.py).
        relearn = (
            bool(timestamp)
            and self._gaps.after_gap(timestamp)
            and band is not None
            and band[0] <= value <= band[1]
        )
        change = value - prev if not relearn else 0.0
        jump = change if change >= 0.0 else -change
        tiny = 1e-12 * (value if value >= 0.0 else -value) + 1e-300
        if self._moved == 0:
            # Nothing can be learned from a flat line: the warm-up starts at the first change.
            if jump <= tiny:
                return _NORMAL
            self._moved = n - 1
        warm = n - self._moved < self.warmup
        if jump > tiny and jump < self._quantum:
            self._quantum = jump  # the sensor's resolution: its smallest change seen

        # -- stuck: runs of exact repeats, against this tag's own chance of repeating on.
        was_run = self._run
        run = self._run = was_run + 1 if jump <= tiny and not relearn else 0
        cont = self._cont

        dp = self._period.decades(value)  # against the same phase of the tag's own period
        # -- the daily cycle, learned: readings are judged against their time of day.
        season = self._profile.offset(timestamp) if timestamp else 0.0
        value -= season
        if relearn:
            self._relearn(value, season)
        dchange = change - season + self._season
        self._season = season
        djump = dchange if dchange >= 0.0 else -dchange

        # -- the four statistics, each over its usual size.
        # A scale never falls below the sensor's resolution: on a sensor that repeats one value
        # with one-count blips, a blip is one count, not a thousand times a near-zero scale.
        quantum = self._quantum * QUANTUM if self._quantum < 1e300 else 0.0
        sd = self._sd
        sd = sd if sd > quantum else quantum
        sa = self._sa
        sa = sa if sa > quantum else quantum
        sb = self._sb
        lf = self._lf
        fc = self._ls + self._tr
        ra = value - lf
        ara = ra if ra >= 0.0 else -ra
        floor_a = sd * 0.2 + tiny
        ua = ara / (sa if sa > floor_a else floor_a)
        limit = NOISE_CLIP * sd + tiny
        clipped = djump if djump < limit else limit
        fd = self._fd = self._fd + NOISE * (clipped - self._fd)
        uc = fd / (sd if sd > tiny else tiny)
        # The fast level follows the reading, except a lone outlier (clipped until confirmed
        # by the next reading on the same side).
        far = CLIP * sa + floor_a
        if ara > far and not warm and not (self._last_jump == n - 1 and (ra > 0) == (dchange > 0)):
            lf += FAST * (far if ra > 0 else -far)
        else:
            lf += FAST * ra
        self._lf = lf
        rb = lf - fc
        floor_b = 0.25 * sa + tiny
        sb_eff = sb if sb > floor_b else floor_b
        if self._episode and not self._stepping:
            fc, rb = self._back_to_reference(n, lf, fc, rb, sb_eff)
        arb = rb if rb >= 0.0 else -rb
        ub = arb / sb_eff if n > self._relearn_until else 0.0

        flag_at = self._flag_at
        if warm:
            decades, kind, da, db, burst = 0.0, None, 0.0, 0.0, False
        else:
            qa, qb, qc = self._qa, self._qb, self._qc
            q = qa[0]
            da = (ua / q if q > 0.0 else 0.0) if ua <= q else _decades(ua, qa)
            q = qb[0]
            db = (ub / q if q > 0.0 else 0.0) if ub <= q else _decades(ub, qb)
            q = qc[0]
            dc = (uc / q if q > 0.0 else 0.0) if uc <= q else _decades(uc, qc)
            ds = _decades(run * -math.log10(cont), self._qs) if run > 1 else 0.0
            decades, kind = da, KIND_SPIKE
            if db > decades:
                decades, kind = db, "level"
            if dc > decades:
                decades, kind = dc, KIND_NOISE
            if ds > decades:
                decades, kind = ds, KIND_STUCK
            if dp > decades:
                decades, kind = dp, KIND_DRIFT  # the level has left its usual shape
            # An outlier amid a burst of large changes is the burst: named noise, but only in
            # the verdict. It still teaches the spike tail and opens a level episode as what it
            # is, else outliers that keep coming amid bursts (bursty counts) are never learned.
            burst = kind != KIND_STUCK and dc >= flag_at - SUSPECT and db < 2.0 * flag_at
        flagged = decades >= flag_at
        returned = False
        if not warm and da >= JUMP:
            returned, lf, fc, rb = self._jump(value, season, lf, fc, rb, sb_eff, sa, n)
        if not n & (PAST_EVERY - 1):
            self._snapshot(lf)

        # -- learning: full rate when normal, `absorb` of it while suspect. The quantiles learn
        # from normal readings (and the spike tail from each episode's first reading, below), so
        # outliers that keep coming back become expected, but a long fault cannot teach its own
        # level.
        # An episode older than LONG flagged readings is the new normal: no longer suspect.
        age = self._age  # unchanged until the verdict below
        suspect = decades >= flag_at - SUSPECT and age < LONG
        rate = 1.0 / n if warm and n < 1.0 / LEARN else LEARN
        if suspect:
            rate *= self.absorb
        if flagged and kind == KIND_SPIKE and age < ONSET_LEARN:
            # An outlier that opens an episode teaches the spike statistic's tail: outliers
            # that keep coming back (bursty counts) become expected; a long fault cannot.
            _track(self._qa, ua, ONSET_BOOST)
        if not suspect:
            self._period.learn()
            boost = 1.0 if not warm else 4.0
            if n > 20:
                _track3(self._qa, ua, self._qb, ub, self._qc, uc, boost, boost * SMOOTHED)
        if was_run and not run:
            self._run_ended(was_run, warm)
        if warm:  # plain means: a clip relative to a scale not yet learned would freeze it
            self._sd = sd + rate * (djump - sd)
            self._sa = sa + rate * (ara - sa)
            self._sb = sb + rate * (arb - sb)
        else:
            limit = CLIP * sd
            self._sd = sd + rate * ((djump if djump < limit else limit) - sd)
            limit = CLIP * sa
            self._sa = sa + rate * ((ara if ara < limit else limit) - sa)
            limit = SMOOTHED_CLIP * sb
            # A level beyond its 99.9th percentile teaches its own scale slowly: a slow drift
            # must not widen the scale it is judged by (it then never stood out).
            brate = rate * self.absorb if db >= SCALE_HOLD else rate
            self._sb = sb + brate * ((arb if arb < limit else limit) - sb)
        if timestamp and not suspect:
            self._profile.learn(value + season - fc)
        if (
            self._stepping
            and not self._settled
            and n - self._episode >= STEP_SETTLE
            and ara < ARRIVED * sa
        ):
            self._settled = n  # the fast level has arrived at the step's level
        if self._stepping and self._step_is_over(rb):
            # The readings are back: less than half the step's offset is left. The episode
            # ends here; what the offset gained or lost since it was measured was the process
            # moving beneath the step, and the reference moves by that much.
            self._stepping = False
            self._episode = 0
            if n - self._settled > STEP_MEASURED:
                fc += self._offset - self._offset0
                rb = lf - fc
        if self._stepping:
            self._follow_under_step(fc, rb, n)
        elif n <= self._relearn_until:
            self._ls = lf  # re-learning the level after a gap (gaps.py)
        else:
            slow = self.slow * (self.absorb if suspect else 1.0)
            self._ls = fc + slow * rb
            self._tr = DAMP * self._tr + (0.0 if suspect else TREND * slow * rb)

        if not self._episode and db < CALM_LEVEL and not warm:
            self._calm_ls, self._calm_tr, self._calm_n = self._ls, self._tr, n
        if self._episode:
            if not flagged and db < 0.5 * flag_at:
                self._episode = 0  # over, or absorbed: the new level is the reference now
                self._stepping = False
        elif flagged and kind == "level" and not returned:
            self._episode = n
            self._ref = (fc, self._tr, n)
            self._stepping = 0 <= n - self._last_jump <= 8
            self._settled = 0
            self._offset = rb
        recent = self._recent  # a lone outlier no larger than lately is not news (recent.py)
        if warm:
            pass
        elif not (flagged or age or recent.held) and recent.pending is None:
            recent.add(ra)
        elif not age or recent.pending is not None or recent.held:
            flagged = recent.judge(ra, flagged, kind == KIND_SPIKE and not age)
            if not flagged and decades >= flag_at:
                decades = flag_at - RECENT_BELOW  # an outlier no larger than lately: not news
        if returned or (n - self._undone < PAST_EVERY and kind != KIND_STUCK and not burst):
            kind = KIND_DRIFT  # the jump that ends a drift is the drift's last reading
        elif burst:
            kind = KIND_NOISE
        elif kind == "level":
            kind = KIND_STEP if self._stepping else KIND_DRIFT
        if not flagged:
            if age:
                self._age = age + 1
                calm = self._calm = self._calm + 1
                if calm >= CALM:
                    self._age = 0
            score = 1.0 - 10.0 ** (-decades / LOG_SCALE)
            if band is not None and not warm:
                if band[0] <= value + season <= band[1]:
                    self._oob_run = 0
                    return (False, score, None)
                return self._band_verdict(value + season, score)
            return (False, score, None)
        self._oob_run = 0
        # The first readings of a fault carry its surprise; later ones say that it persists.
        # The excess over the threshold is discounted with the episode's age, so a score ranks
        # a fault's onset above its hundredth reading (it stays >= threshold: still flagged).
        age = self._age = age + 1
        self._calm = 0
        if age > 1:
            excess = (decades - flag_at) * AGE_TAU / (AGE_TAU + age - 1)
            decades = flag_at + (excess if excess < AGE_TAU else AGE_TAU)
        elif decades < flag_at + 2.0 * AGE_TAU:
            decades = flag_at + 2.0 * AGE_TAU  # an onset ranks above every later reading
        return (True, 1.0 - 10.0 ** (-decades / LOG_SCALE), kind)

    def _jump(
        self, value: float, season: float, lf: float, fc: float, rb: float, sb: float,
        sa: float, n: int,
    ) -> tuple[bool, float, float, float]:  # fmt: skip
        """A jump: a deviation that starts here is a step ... or, after a level that held (no
        jump for a while: not the aftermath of an outlier), the end of a drift: back at the
        level from before it (`_returned`, `_undoes`). Returns (returned, lf, fc, rb)."""
        held = n - self._last_jump > STEP_SETTLE and n - self._calm_n < LONG
        self._last_jump = n
        returned = False
        if held and self._calm_n:
            returned = self._returned(value, fc, sb, sa, n)
            if returned:
                lf, fc = value, self._ls
                rb = lf - fc
        # A step ends by its own rule; after an outlier (not held) nothing is undone.
        if held and not returned and not self._stepping:
            old = self._undoes(value, lf, sa)
            if old is not None:  # the drift is over: its level is learned afresh from here
                self._undone = n
                self._relearn(value, season)
                returned = True
                lf = fc = value
                rb = 0.0
        return returned, lf, fc, rb

    def _snapshot(self, lf: float) -> None:
        """Snapshots of the fast level, every PAST_EVERY readings; during an alarm the last
        one is repeated (where the level was during a fault is no level to go back to)."""
        past, i = self._lf_past, self._past_i
        past[i] = lf if not self._age or not any(past) else past[i - 1]
        self._past_i = (i + 1) % len(past)

    def _run_ended(self, was_run: int, warm: bool) -> None:
        """A run of repeats ended. Unless it was flagged as stuck (and its episode is not yet
        the new normal, see LONG), learn from it. Runs are longer than a constant chance of
        repeating explains when the process dwells on one step of the quantisation, so their
        tail is learned too (their raw decades)."""
        raw = was_run * -math.log10(self._cont)
        if not (warm or self._age >= LONG or _decades(raw, self._qs) < self._flag_at):
            return
        _track(self._qs, raw)
        self._repeats = RUN_MEMORY * self._repeats + was_run - 1
        self._stops = RUN_MEMORY * self._stops + 1.0
        self._cont = min(0.999, max(0.01, self._repeats / (self._repeats + self._stops)))

    def _returned(self, value: float, fc: float, sb: float, sa: float, n: int) -> bool:
        """A jump back to the level from before a drift ends the drift. True when the reference
        has moved away from where it was when the level was last unremarkable (it followed a
        drift, flagged or not) and this reading is back within the usual spread of that calm
        reference (projected along its trend). The calm reference is restored and the fast level
        is the reading: without that, the normal readings after the drift read as a step.
        """
        decay = DAMP ** (n - self._calm_n)
        tr0 = self._calm_tr
        fc0 = self._calm_ls + tr0 * DAMP * (1.0 - decay) / (1.0 - DAMP)
        moved = fc - fc0
        if _decades((moved if moved >= 0.0 else -moved) / sb, self._qb) < MOVED:
            return False
        back = value - fc0
        if _decades((back if back >= 0.0 else -back) / sa, self._qa) >= MOVED:
            return False
        self._ls, self._lf, self._tr = fc0, value, tr0 * decay
        self._episode = 0
        self._stepping = False
        return True

    def _undoes(self, value: float, lf: float, sa: float) -> float | None:
        """Where the fast level was, if a jump undoes a drift: since a snapshot (one every
        `PAST_EVERY` readings) the fast level went one way, snapshot after snapshot (a slope,
        not wander), further than a jump's worth, and the reading lands back near where it
        started. A drift that the reference followed unflagged ends so; its end is named a
        drift, not a spike. None when the jump undoes nothing."""
        past = self._lf_past
        slots = len(past)
        newest = lf
        for back in range(1, slots):  # from the newest snapshot to the oldest
            old = past[(self._past_i - back) % slots]
            step = newest - old
            disp = lf - old
            if disp == 0.0 or step * disp < 0.0:
                return None  # not one way: wander, not a drift
            newest = old
            far = disp if disp >= 0.0 else -disp
            off = value - old
            if (off if off >= 0.0 else -off) < UNDO * far and _decades(far / sa, self._qa) >= JUMP:
                return old
        return None

    def _relearn(self, value: float, season: float) -> None:
        """After a gap inside the band, or a drift undone: the reading is the level (no step,
        no open episode, no trend) and the level statistic rests while the fast level settles."""
        self._lf = self._ls = value
        self._tr = 0.0
        self._relearn_until = self._n + RELEARN
        self._season = season
        self._episode = 0
        self._stepping = False

    def _step_is_over(self, rb: float) -> bool:
        """Past its first readings (which measure the offset), a step is over once the
        deviation has lost more than half its offset, or changed sign."""
        if not self._settled:
            return False
        offset = self._offset
        return (rb < 0.5 * offset) if offset > 0.0 else (rb > 0.5 * offset)

    def _follow_under_step(self, fc: float, rb: float, n: int) -> None:
        """Under a step the reference is frozen where the process was before it (projected
        along its trend, so a ramp beneath the step is still followed): a step's readings must
        not teach the level its end is judged against. Its first readings measure the offset
        (until the fast level has arrived); later the offset follows the deviation, so wander
        beneath the step does not end it early. When the step ends, the deviation falls by the
        offset at once. Following "beneath the step" instead (the reference learning from
        deviation minus offset) left any error of the measured offset in the reference, and the
        normal readings after the step were flagged as a new step for minutes.
        """
        offset = self._offset
        if self._settled:
            off = rb - offset
            if (off if off >= 0.0 else -off) < 0.25 * (offset if offset >= 0.0 else -offset):
                self._offset = offset + STEP_TRACK * off  # not the step's end coming
            if n - self._settled == STEP_MEASURED:
                self._offset0 = self._offset
        else:
            self._offset = rb
        self._ls = fc

    def _back_to_reference(
        self, n: int, lf: float, fc: float, rb: float, sb: float
    ) -> tuple[float, float]:
        """During a level episode: if the fast level is back near the reference saved at its
        start (projected along its trend), the fault is over. Restore that reference, whatever
        the reduced-rate learning absorbed meanwhile; returns the forecast and residual to use.
        """
        ls0, tr0, n0 = self._ref
        decay = DAMP ** (n - n0)
        fc0 = ls0 + tr0 * DAMP * (1.0 - decay) / (1.0 - DAMP)
        rb0 = lf - fc0
        if _decades((rb0 if rb0 >= 0.0 else -rb0) / sb, self._qb) >= self._flag_at - SUSPECT:
            return fc, rb
        self._episode = 0
        self._tr = tr0 * decay
        return fc0, rb0

    def _band_verdict(self, value: float, score: float) -> Verdict:
        """out_of_band after `oob_readings` readings in a row outside the configured band."""
        band = self.band
        assert band is not None
        if band[0] <= value <= band[1]:
            self._oob_run = 0
            return (False, score, None)
        self._oob_run += 1
        if self._oob_run < self.oob_readings:
            return (False, score, None)
        return (True, max(score, self.threshold), KIND_OUT_OF_BAND)
