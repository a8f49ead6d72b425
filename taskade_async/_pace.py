"""What the server's answers say about the pace: a pure model, the clock passed in.

:class:`PaceModel` is fed every answer with :meth:`PaceModel.on_answer` (the
only method that changes it) and read with :meth:`PaceModel.rate` and
:attr:`PaceModel.hold_until` (reads never change it). No I/O, no clock of its
own: the whole table of behaviours is tested on a virtual clock.

The model, in the words of congestion control:

- Unpaced (or at the configured ceiling) until the first 429. Its refused
  level is the rate the server admitted in the second before.
- A 429 starts a *congestion episode*: the pace is cut once, to ``CUT`` of
  the level refused. Further 429s belong to the same episode until requests
  sent after the cut come back refused *and* at least ``EPISODE`` answers
  have come since the cut. So a session sending fast meets more episodes per
  second than a slow one: each cuts in proportion to its rate, and several
  sessions sharing one budget converge to equal shares.
- After a cut the pace climbs back to just under the level within
  ``RECOVER`` seconds, then probes beyond, slowly at first and faster the
  longer nothing is refused (it follows a limit that went up within seconds).
- Random shedding: if the share refused among the requests sent after a cut
  is not lower than among the ``EPISODE`` answers before it (and that share
  is not small), slowing down did not help: the cut is taken back, and from
  then on only a share above that noise level is a congestion episode. A
  refused call still waits its ``Retry-After``.
- A long ``Retry-After``, or a 429 when nothing was admitted, holds the whole
  session (the caller caps the hold by its settings).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

__all__ = ["PaceModel"]

#: A congestion episode sets the pace to this fraction of the level refused.
CUT: Final = 0.85
#: Answers (at least) between two cuts: one episode.
EPISODE: Final = 20
#: ...unless this many requests sent at the new pace, and most of them, were refused.
STILL: Final = 3
#: After a cut, the pace is back near the level (PLATEAU of it) within this many seconds...
RECOVER: Final = 0.5
PLATEAU: Final = 0.95
#: ...then probes beyond: by PROBE * t**2 of the level after t more seconds.
PROBE: Final = 0.15
#: Without a ceiling, pacing ends once the probe is this far above the level.
UNPACE: Final = 4.0
#: The pace never goes below this (requests per second).
MIN_RATE: Final = 0.1
#: A Retry-After longer than this holds every request of the session (whole
#: seconds: a sub-second wait reads 1); a shorter one holds only the refused call.
LONG_RETRY_AFTER: Final = 1.0
#: A share refused below this is always a limit, never noise (the guard's floor).
NOISE_FLOOR: Final = 0.05
#: Paced, the level refused is the pace less the share refused, measured over at least
#: this many answers (and never less than a tenth of the pace).
MEASURED: Final = 10
MAX_MEASURED_CUT: Final = 0.9
#: This many cuts in a row that did not help: the refusals are noise.
FUTILE: Final = 2
#: With no Retry-After and nothing admitted, the session holds this long, doubling.
HOLD: Final = 0.5
MAX_HOLD: Final = 30.0
#: The admitted rate is counted per slice of SLICE seconds, over SLICES slices.
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
        "_answers",
        "_base",
        "_before",
        "_ceiling",
        "_counts",
        "_cut_answers",
        "_cut_before",
        "_first",
        "_futile",
        "_gate",
        "_holds",
        "_last_slice",
        "_level",
        "_noise",
        "_recent",
        "_recent_refused",
        "_restore",
        "_t0",
        "hold_until",
    )

    def __init__(self, ceiling: float | None = None) -> None:
        self._ceiling = ceiling
        self.hold_until = 0.0  #: nothing leaves before this time (0.0: no hold)
        self._holds = 0  # holds in a row without an admitted answer
        self._level = 0.0  # the rate refused at the last cut (0.0: not adapting)
        self._base = 0.0  # the pace right after the cut
        self._t0 = 0.0  # when the climb back started
        self._gate = -math.inf  # requests sent before this belong to the last episode
        self._answers = 0  # answers in all
        self._cut_answers = 0  # ...at the last cut
        self._noise = 0.0  # the share refused that slowing down did not lower
        self._futile = 0  # cuts in a row after which the share refused did not fall
        self._restore = 0.0  # the level refused before those cuts
        # The outcomes of the last EPISODE answers (True: refused), and their sum.
        self._recent: deque[bool] = deque(maxlen=EPISODE)
        self._recent_refused = 0
        self._before = 0.0  # the share refused in the EPISODE answers before the last cut
        self._cut_before = False  # whether the last cut waits for its verdict (helped?)
        self._after_n = 0  # answers to requests sent after the last cut's gate...
        self._after_k = 0  # ...and of those, refused
        # Admitted answers per slice, over the last second.
        self._counts = [0] * SLICES
        self._last_slice = -1
        self._first = math.inf

    # -- reads (no side effects) ---------------------------------------------------

    def rate(self, now: float) -> float | None:
        """The pace at ``now`` in requests per second (None: unpaced)."""
        if not self._level:
            return self._ceiling
        rate = self._climb(now)
        ceiling = self._ceiling
        if ceiling is not None:
            return min(rate, ceiling)
        return None if rate >= self._level * UNPACE else rate

    @property
    def unpaced(self) -> bool:
        """Whether requests go unpaced (no ceiling, no 429 adapted to)."""
        return self._ceiling is None and not self._level

    @property
    def adapting(self) -> bool:
        """Whether the pace is below the ceiling, learnt from 429s."""
        return bool(self._level)

    @property
    def noise(self) -> float:
        """The share of refusals judged random (slowing down did not lower it)."""
        return self._noise

    def admitted_rate(self, now: float) -> float:
        """Admitted answers per second over the last second (0.0 if none)."""
        k = int(now / SLICE)
        if self._last_slice < 0 or k - self._last_slice >= SLICES:
            return 0.0
        begin = max(self._first, min(self.hold_until, now))  # measured since a hold ended
        start = max(k - SLICES + 1, int(begin / SLICE))
        count = sum(self._counts[j % SLICES] for j in range(start, self._last_slice + 1))
        span = max(now - max(start * SLICE, begin), MIN_SPAN)
        return count / span

    # -- the one entry that changes the model -----------------------------------------

    def on_answer(
        self, now: float, sent_at: float, refused: bool, retry_after: float | None = None
    ) -> str | None:
        """An answer came at ``now`` to a request sent at ``sent_at``.

        ``refused``: a 429 (``retry_after``: its wait in seconds, already
        capped by the caller's settings). Returns what the model did, for the
        log: ``"cut"``, ``"hold"``, ``"noise"`` or None.
        """
        self._answers += 1
        recent = self._recent
        if len(recent) == EPISODE and recent[0]:
            self._recent_refused -= 1
        recent.append(refused)
        self._recent_refused += refused
        if sent_at >= self._gate:
            self._after_n += 1
            self._after_k += refused
        if not refused:
            self._count_admitted(now)
            self._holds = 0
            if self._level and self._ceiling is None and self.rate(now) is None:
                self._level = 0.0  # probed far above the level: unpaced again
            return None
        did: str | None = None
        if retry_after is not None and retry_after > LONG_RETRY_AFTER:
            self._hold(now + retry_after)
            did = "hold"
        if sent_at < self._gate:
            return did  # sent at the old pace: part of the episode already answered
        if self._level and self._answers - self._cut_answers < EPISODE and not self._still():
            return did  # too soon for another episode (unless clearly still too fast)
        return self._episode(now, retry_after) or did

    # -- internals --------------------------------------------------------------------

    def _episode(self, now: float, retry_after: float | None) -> str | None:
        """A new congestion episode (or noise): cut the pace, or not."""
        share = self._recent_refused / len(self._recent)
        if self._cut_before and self._after_n >= MEASURED:
            self._cut_before = False
            after = self._after_k / self._after_n if self._after_n else 1.0
            # Had a limit refused them, slowing from ``level`` to ``base`` would have
            # lowered the share refused to ``limit``; random shedding leaves it as it was.
            before = self._before
            limit = max(0.0, 1.0 - (1.0 - before) * self._level / self._base)
            if min(before, after) >= NOISE_FLOOR and after >= (limit + before) / 2:
                self._futile += 1  # slowing down did not lower the share refused
                if self._futile >= FUTILE:
                    # Cut after cut changed nothing: random shedding, not a limit.
                    self._noise = max(self._noise, after)
                    self._futile = 0
                    self._level = self._base = self._restore
                    self._t0 = max(now, self.hold_until) - RECOVER  # probing again at once
                    self._mark(now)
                    return "noise"
            else:
                self._futile = 0
        if self._noise:
            noise = self._noise
            if share <= noise + 2.5 * math.sqrt(noise * (1 - noise) / EPISODE) + NOISE_FLOOR / 2:
                self._mark(now)
                return "noise"  # no more than the noise: not a limit
            if share < self._noise / 2:
                self._noise = share  # the noise has gone down
        level = self._level_now(now)
        if level is None:
            return self._nothing_admitted(now, retry_after)
        if not self._futile:
            self._restore = max(MIN_RATE, level)  # the pace before a chain of cuts
        self._level = max(MIN_RATE, level)
        self._base = max(MIN_RATE, level * CUT)
        self._t0 = max(now, self.hold_until)
        self._before = share
        self._cut_before = True
        self._mark(now)
        # Requests already let go at the old pace belong to this episode.
        self._gate = now + 1.0 / self._base
        return "cut"

    def _still(self) -> bool:
        """Whether the new pace is clearly still far too fast: most of its requests refused."""
        return self._after_k >= STILL and 2 * self._after_k > self._after_n

    def _level_now(self, now: float) -> float | None:
        """The level refused: what the server admitted of the pace sent at.

        Paced, it is the pace less the share refused among the requests sent
        at it (beyond the noise); unpaced, the rate admitted in the last second.
        """
        if self._level:
            pace = self._climb(now)
            if self._ceiling is not None:
                pace = min(pace, self._ceiling)
            if self._after_n >= MEASURED:
                refused = self._after_k / self._after_n - self._noise
                pace *= 1.0 - min(MAX_MEASURED_CUT, max(0.0, refused))
            return pace
        if self._ceiling is not None and self.admitted_rate(now):
            return self._ceiling
        return self.admitted_rate(now) or None

    def _nothing_admitted(self, now: float, retry_after: float | None) -> str:
        """Refused with nothing admitted: pacing cannot help, so hold the session."""
        wait = retry_after if retry_after is not None else min(MAX_HOLD, HOLD * 2**self._holds)
        self._holds += 1
        self._hold(now + wait)
        self._mark(now)
        self._gate = now
        return "hold"

    def _mark(self, now: float) -> None:
        """Start counting a new episode."""
        self._cut_answers = self._answers
        self._after_n = self._after_k = 0
        self._gate = max(self._gate, now)

    def _hold(self, until: float) -> None:
        if until > self.hold_until:
            self.hold_until = until
            if self._level and until > self._t0:
                self._t0 = until  # the climb back starts when requests flow again

    def _climb(self, now: float) -> float:
        t = max(0.0, now - self._t0)
        top = self._level * PLATEAU
        if t < RECOVER:
            return self._base + (top - self._base) * t / RECOVER if top > self._base else self._base
        return max(top, self._base) * (1.0 + PROBE * (t - RECOVER) ** 2)

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
