"""What the server's answers say about the pace: a pure model, the clock passed in.

:class:`PaceModel` is fed every answer with :meth:`PaceModel.on_answer` (the
only method that changes it) and read with :meth:`PaceModel.rate` and
:attr:`PaceModel.hold_until` (reads never change it). No I/O, no clock of its
own: the whole table of behaviours is tested on a virtual clock.

The model:

- Unpaced (or at the configured ceiling) until 429s; the pace is then
  what the server admitted in the second before (once ``MEASURED`` answers
  tell something).
- Every 429 for a request sent after the last reaction is a reaction: the
  pace drops by ``SHAVE``, or, when most requests sent since were refused
  (the limit dropped, the first burst), to what the server admitted of them.
  A wave of 429s for requests sent before a reaction is that one reaction.
  A session sending faster meets proportionally more 429s, so it gives up
  more: sessions sharing one budget converge to equal shares, whatever their
  start (a cut per synchronized event would keep the first split).
- Between reactions the pace grows by ``PROBE * t**2`` of itself, ``t``
  the seconds since the last one: slowly just after a 429, and quickly once
  none has come for a while, so a limit that went back up is found within
  seconds.
- Random shedding: a limit refuses fewer of the requests sent at a lower
  pace; random shedding refuses the same share whatever the pace. When the
  slower half of the recent requests was refused as much as the faster
  half (and the share is not small: a small share is always a limit),
  slowing down did not help (judged over ``NOISE_SPAN`` seconds: another
  session starting on a shared budget refuses a slowed session too, for a
  moment): the pace is restored (a later verdict with no slow-down to
  take back leaves the growth as it was), and from then on only a share
  refused above that noise makes the pace drop. A refused call still
  waits its ``Retry-After``.
- Random shedding, judged over a bleed: shaved (no steep cut) to a
  ``DRAW``-th of where the shaving began, over ``BLEED_SPAN`` seconds at
  least, and refused as much below a ``sqrt(DRAW)``-th of it as above (and
  not a small share), the session is neither giving up its part of a budget
  shared with a few others (a fall of a few times at most) nor slowing below
  a limit (which refuses fewer of the slower requests): the refusals are
  random, and the pace goes back to where the bleed began.
- A long ``Retry-After``, or a 429 when nothing was admitted, holds the whole
  session (the caller caps the hold by its settings).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

__all__ = ["PaceModel"]

#: A 429 (for a request sent after the last reaction) lowers the pace by this share.
SHAVE: Final = 0.1
#: Between 429s the pace grows by PROBE * t**2 of itself, after t seconds.
PROBE: Final = 0.2
#: A reaction measures the share refused among this many answers at least...
MEASURED: Final = 8
#: ...and if it is above this, the pace drops to what was admitted of it (at most by CUT_MAX).
STEEP: Final = 0.25
CUT_MAX: Final = 0.9
#: Without a ceiling, pacing ends once the pace has grown this far above the last reaction.
UNPACE: Final = 4.0
#: The pace never goes below this (requests per second).
MIN_RATE: Final = 0.1
#: A Retry-After longer than this holds every request of the session (whole
#: seconds: a sub-second wait reads 1); a shorter one holds only the refused call.
LONG_RETRY_AFTER: Final = 1.0
#: The noise guard: every WINDOW answers it splits the last SAMPLE paced answers at their
#: median pace; if the faster half's pace was SPREAD of the slower's or more (a small
#: spread is as likely other sessions' overshoot on a shared budget, with the answers
#: a round trip late) and the
#: slower half was refused no less than SLOWED of the faster half's share (and at
#: least NOISE_FLOOR: a small share is always a limit), the refusals are random.
WINDOW: Final = 20
SAMPLE: Final = 80
#: ...and those of NOISE_SPAN seconds at least (up to SAMPLE_MAX answers): other sessions
#: starting on a shared budget refuse even a slowed session for a moment, which a
#: sample of a fraction of a second took for random shedding.
NOISE_SPAN: Final = 2.0
SAMPLE_MAX: Final = 1000
SPREAD: Final = 1.5
#: ...but the first verdict needs the faster half at FIRST_SPREAD of the slower's: a
#: session that is a small part of a shared budget is refused about as much at any pace
#: within 2x (the others' overshoot decides), and that first verdict starts a cascade.
FIRST_SPREAD: Final = 2.0
SLOWED: Final = 0.8
NOISE_FLOOR: Final = 0.08
MAX_NOISE: Final = 0.5
#: The bleed verdict: shaved to a DRAW-th of the pace the shaving began at, over
#: BLEED_SPAN seconds at least, with BLEED_MIN answers at least above and below a
#: sqrt(DRAW)-th of it (the share refused judged as by the guard).
DRAW: Final = 6.0
BLEED_SPAN: Final = 2.0
BLEED_MIN: Final = 20
#: 429s saying ``Retry-After: 0`` do not slow the session while they are at most this
#: share of the answers of the last second.
RETRY_NOW_SHARE: Final = 0.08
RETRY_NOW_FEW: Final = 3
#: With no Retry-After and nothing admitted, the session holds this long, doubling.
HOLD: Final = 0.5
MAX_HOLD: Final = 30.0
#: The admitted rate is counted per slice of SLICE seconds, over SLICES slices...
SLICE: Final = 0.1
SLICES: Final = 10
#: ...and over this span at least (the first answers come close together).
MIN_SPAN: Final = 0.05


class PaceModel:
    """The pace a session's requests may leave at, learnt from the answers.

    ``ceiling`` is the configured ``rate_limit`` (requests per second, or
    None). :meth:`rate` is the pace now (None: unpaced); :attr:`hold_until`
    the time before which nothing leaves (0.0: no hold).
    """

    __slots__ = (
        "_after_k",
        "_after_n",
        "_before",
        "_bleed",
        "_bleed_since",
        "_ceiling",
        "_counts",
        "_first",
        "_gate",
        "_holds",
        "_last_slice",
        "_noise",
        "_pace",
        "_peak",
        "_sample",
        "_since",
        "_win_n",
        "_zeros",
        "hold_until",
        "unpaced",
    )

    def __init__(self, ceiling: float | None = None) -> None:
        self._ceiling = ceiling
        self.hold_until = 0.0  #: nothing leaves before this time (0.0: no hold)
        #: Whether requests go unpaced (no ceiling, no 429 adapted to): an attribute,
        #: read on every request.
        self.unpaced = ceiling is None
        self._holds = 0  # holds in a row without an admitted answer
        self._pace = 0.0  # the pace set by the last reaction (0.0: not adapting)
        self._since = 0.0  # when the pace was set (it grows from there)
        self._gate = -math.inf  # 429s for requests sent before this were reacted to
        self._after_n = 0  # answers to requests sent after the gate...
        self._after_k = 0  # ...and of those, refused
        self._noise = 0.0  # the share refused that slowing down did not lower
        # The noise guard: (pace sent at, refused, answered at) of the recent paced answers.
        self._sample: deque[tuple[float, bool, float]] = deque()
        self._win_n = 0  # answers since the guard last looked
        self._before = 0.0  # the pace before the last reaction
        # The bleed: the pace the shaving began at (0.0: none), since when, and the
        # answers and refusals (sent since) above and below a sqrt(DRAW)-th of it.
        self._peak = 0.0
        self._bleed_since = 0.0
        self._bleed = [0, 0, 0, 0]
        # Admitted answers per slice, over the last second.
        self._counts = [0] * SLICES
        self._last_slice = -1
        self._first = math.inf
        self._zeros: deque[float] = deque()  # when 429s with Retry-After: 0 came (last second)

    # -- reads (no side effects) ---------------------------------------------------

    def rate(self, now: float) -> float | None:
        """The pace at ``now`` in requests per second (None: unpaced)."""
        if not self._pace:
            return self._ceiling
        rate = self._grown(now)
        ceiling = self._ceiling
        if ceiling is not None:
            return min(rate, ceiling)
        # Unpaced again once far above the last reaction's pace, and above the pace it cut.
        return None if rate >= max(self._pace, self._before) * UNPACE else rate

    @property
    def adapting(self) -> bool:
        """Whether the pace is learnt from 429s (else the ceiling, or none)."""
        return bool(self._pace)

    @property
    def noise(self) -> float:
        """The share of refusals judged random (slowing down did not lower it)."""
        return self._noise

    def admitted_rate(self, now: float) -> float:
        """Admitted answers per second over the last second (0.0 if none)."""
        count, span = self._admitted(now)
        return count / span

    def _admitted(self, now: float) -> tuple[int, float]:
        """Admitted answers over the last second, and the span they were counted over."""
        k = int(now / SLICE)
        if self._last_slice < 0 or k - self._last_slice >= SLICES:
            return 0, 1.0
        begin = max(self._first, min(self.hold_until, now))  # measured since a hold ended
        start = max(k - SLICES + 1, int(begin / SLICE))
        count = sum(self._counts[j % SLICES] for j in range(start, self._last_slice + 1))
        return count, max(now - max(start * SLICE, begin), MIN_SPAN)

    # -- the one entry that changes the model -----------------------------------------

    def on_answer(
        self, now: float, sent_at: float, refused: bool, retry_after: float | None = None
    ) -> str | None:
        """An answer came at ``now`` to a request sent at ``sent_at``.

        ``refused``: a 429 (``retry_after``: its wait in seconds, already
        capped by the caller's settings). Returns what the model did, for the
        log: ``"slow"`` (the pace dropped), ``"hold"``, ``"noise"`` or None.
        """
        if refused and retry_after == 0.0 and self._retry_now(now):
            return None  # "retry at once", and few of them: not a sign of pace
        if sent_at >= self._gate:
            self._after_n += 1
            self._after_k += refused
        did = self._window(now, sent_at, refused) if self._pace else None
        if not refused:
            if int(now / SLICE) == self._last_slice:
                self._counts[self._last_slice % SLICES] += 1  # the common case, inline
            else:
                self._count_admitted(now)
            self._holds = 0
            if self._pace and self._ceiling is None and self.rate(now) is None:
                self._pace = 0.0  # grown far above the last reaction: unpaced again
                self.unpaced = True
            return did
        if retry_after is not None and retry_after > LONG_RETRY_AFTER:
            self._hold(now + retry_after)
            did = "hold"
        if sent_at < self._gate:
            return did  # sent before the last reaction took effect: part of that one
        return self._react(now, retry_after) or did

    # -- internals --------------------------------------------------------------------

    def _retry_now(self, now: float) -> bool:
        """Whether a 429 that said ``Retry-After: 0`` is among few such in the last second.

        A server that wants the pace lower says how long to wait; one that says
        to retry at once (a gateway shedding load) gains nothing from a slower
        session, so such refusals are passed over while they stay at most
        ``RETRY_NOW_SHARE`` of the answers (give or take chance, and
        ``RETRY_NOW_FEW``); more, and they count like any 429.
        """
        zeros = self._zeros
        zeros.append(now)
        while now - zeros[0] >= 1.0:
            zeros.popleft()
        admitted, _ = self._admitted(now)
        expected = RETRY_NOW_SHARE * (len(zeros) + admitted)
        return len(zeros) <= RETRY_NOW_FEW + expected + 2.0 * math.sqrt(expected)

    def _react(self, now: float, retry_after: float | None) -> str | None:
        """A 429 for a request sent after the last reaction: lower the pace (or hold)."""
        n, k = self._after_n, self._after_k
        share = k / n if n else 1.0
        if self._noise and share <= self._noise + 2.0 * math.sqrt(self._noise / max(n, 1)):
            return None  # no more refused than the noise: not a limit
        if self._pace:
            pace = self._grown(now)
            if self._ceiling is not None:
                pace = min(pace, self._ceiling)
        elif self._ceiling is not None and self.admitted_rate(now):
            pace = self._ceiling
        else:
            pace = self.admitted_rate(now)
            if not pace:
                return self._nothing_admitted(now, retry_after)
            if n < MEASURED:
                return None  # unpaced, and a handful of answers tell nothing yet
        excess = share - self._noise
        if (n >= MEASURED or k >= 3) and excess > STEEP:
            pace *= 1.0 - min(CUT_MAX, excess)  # most refused: what the server admitted
            if n >= MEASURED:
                self._peak = 0.0  # a limit's mark: no bleed goes on through it
        else:
            if pace >= self._peak:
                self._peak, self._bleed_since = pace, now
                self._bleed = [0, 0, 0, 0]
            pace *= 1.0 - SHAVE
            random_share = self._bled(now, pace)
            if random_share is not None:
                self._noise = max(self._noise, random_share)
                peak, self._peak = self._peak, 0.0
                self._set(now, peak)  # take the shaving back
                return "noise"
        self._set(now, max(MIN_RATE, pace))
        return "slow"

    def _bled(self, now: float, pace: float) -> float | None:
        """The share refused, if shaving down to ``pace`` showed the refusals random.

        Sessions sharing a budget give up their part of it, a fall of a few
        times at most; a limit refuses fewer of the slower requests. Shaved to
        a ``DRAW``-th over ``BLEED_SPAN`` seconds, and refused as much below a
        ``sqrt(DRAW)``-th of the start as above it (give or take chance), is
        neither.
        """
        if pace * DRAW > self._peak or now - self._bleed_since < BLEED_SPAN:
            return None
        n1, k1, n2, k2 = self._bleed
        if n1 < BLEED_MIN or n2 < BLEED_MIN:
            return None
        share = (k1 + k2) / (n1 + n2)
        above, below = k1 / n1, k2 / n2
        chance = 2.0 * math.sqrt(share * (1.0 - share) * (1.0 / n1 + 1.0 / n2))
        if (
            share < NOISE_FLOOR
            or min(above, below) < NOISE_FLOOR / 2
            or below < SLOWED * (above - chance)
            or below > MAX_NOISE
        ):
            return None
        return share

    def _window(self, now: float, sent_at: float, refused: bool) -> str | None:
        """Note the pace a paced request left at; judge the noise every WINDOW answers.

        Random shedding refuses the same share whatever the pace; a limit refuses
        fewer of the requests sent at a lower pace. So the paced answers of the last
        ``NOISE_SPAN`` seconds (``SAMPLE`` at least, ``SAMPLE_MAX`` at most) are
        split at their median pace: if the slower
        half was refused no less than SLOWED of the faster half's share (at least
        NOISE_FLOOR: a small share is always a limit), slowing down does not help.
        """
        pace = self._grown(sent_at) if sent_at >= self._since else self._before
        if self._peak and sent_at >= self._bleed_since:
            j = 0 if pace * pace * DRAW > self._peak * self._peak else 2
            self._bleed[j] += 1
            self._bleed[j + 1] += refused
        sample = self._sample
        sample.append((pace, refused, now))
        while len(sample) > SAMPLE and (
            now - sample[1][2] >= NOISE_SPAN or len(sample) > SAMPLE_MAX
        ):
            sample.popleft()  # older than the span (or too many), and enough without it
        self._win_n += 1
        if self._win_n < WINDOW or len(sample) < SAMPLE:
            return None
        if now - sample[0][2] < NOISE_SPAN and len(sample) < SAMPLE_MAX:
            return None  # a transient (another session starting) is not evidence: wait
        self._win_n = 0
        ordered = sorted(sample)
        half = len(ordered) // 2
        slow, fast = ordered[:half], ordered[half:]
        if fast[0][0] < (SPREAD if self._noise else FIRST_SPREAD) * slow[0][0]:
            return None  # the pace hardly varied: nothing to tell
        slow_share = sum(r for _, r, _ in slow) / len(slow)
        fast_share = sum(r for _, r, _ in fast) / len(fast)
        # A limit admitting ``fast pace * (1 - fast share)`` would refuse ``limit`` of the
        # slower half; random shedding refuses it as much as the faster half.
        slow_pace = sum(p for p, _, _ in slow) / len(slow)
        fast_pace = sum(p for p, _, _ in fast) / len(fast)
        limit = max(0.0, 1.0 - fast_pace * (1.0 - fast_share) / slow_pace)
        if (
            min(slow_share, fast_share) < NOISE_FLOOR
            or slow_share < max(SLOWED * fast_share, (limit + fast_share) / 2)
            or slow_share > MAX_NOISE  # as likely all of it above a limit
        ):
            if self._noise and fast_share < self._noise / 2:
                self._noise = fast_share  # the noise has gone down
            return None
        self._noise = max(self._noise, (slow_share + fast_share) / 2)
        if ordered[-1][0] > self._grown(now):  # take the slow-downs back (if any: with
            self._set(now, ordered[-1][0])  # none, the growth goes on as it was)
        sample.clear()
        return "noise"

    def _set(self, now: float, pace: float) -> None:
        """The pace is ``pace`` from ``now``; 429s for requests sent before are reacted to."""
        self._before = self._grown(now) if self._pace else pace
        self._pace = pace
        self.unpaced = False
        self._since = max(now, self.hold_until)
        self._gate = now
        self._after_n = self._after_k = 0

    def _nothing_admitted(self, now: float, retry_after: float | None) -> str:
        """Refused with nothing admitted: pacing cannot help, so hold the session."""
        wait = retry_after if retry_after is not None else min(MAX_HOLD, HOLD * 2**self._holds)
        self._holds += 1
        self._hold(now + wait)
        self._gate = now
        self._after_n = self._after_k = 0
        return "hold"

    def _hold(self, until: float) -> None:
        if until > self.hold_until:
            self.hold_until = until
            if self._pace and until > self._since:
                self._since = until  # the pace grows again when requests flow again

    def _grown(self, now: float) -> float:
        t = max(0.0, now - self._since)
        return self._pace * (1.0 + PROBE * t * t)

    def _count_admitted(self, now: float) -> None:
        k = int(now / SLICE)
        last = self._last_slice
        if k != last:
            if last < 0:
                self._first = now
            for j in range(max(last + 1, k - SLICES + 1), k + 1):
                self._counts[j % SLICES] = 0
            self._last_slice = k
        self._counts[k % SLICES] += 1
