"""Client-side pacing: a rate ceiling, and adaptation to the rate the server admits.

The decisions are pure (an injected clock, no I/O): :meth:`Throttle.delay`
says how long the next request must wait, :meth:`Throttle.depart` lets it go,
and :meth:`Throttle.success` / :meth:`Throttle.refused` feed back the answers.
:meth:`Throttle.acquire` is the thin asyncio layer on top.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from ._errors import ValidationError

__all__ = ["Throttle"]

#: Non-429 answers are counted per tenth of a second, over the last second.
_SLICE: Final = 0.1
_SLICES: Final = 10
#: A congestion event sets the rate to this fraction of the rate that was refused.
_DECREASE: Final = 0.85
#: An event before the climb back is over means the decrease was not enough: a
#: deeper one.
_DEEPER: Final = 0.7
#: After a decrease the rate climbs back to just below the refused level in this
#: many seconds...
_RECOVER: Final = 1.0
_PLATEAU: Final = 0.9
#: ...then probes beyond: by this fraction after one second, four times as much
#: after two (a gentle start, then faster while nothing is refused).
_PROBE: Final = 0.05
#: At the ceiling, the configured burst; below it, one slot of catch-up for a late timer.
_ADAPTIVE_BURST: Final = 2
#: Refused while paced, at least this long after the last decrease, the level is what
#: the server admitted since, if lower than the pace (but not below this fraction of it).
_MEASURE: Final = 0.5
_TRUST: Final = 0.8
#: Without a ceiling, pacing ends once the probe has reached this multiple of the level.
_UNPACE: Final = 4.0
#: Below this, the adaptive rate does not go (requests per second).
_MIN_RATE: Final = 0.1
#: A Retry-After longer than this (whole seconds: a sub-second wait reads 1) holds
#: every request of the session; a shorter one only the refused call.
_LONG_RETRY_AFTER: Final = 1.0
#: With no Retry-After and nothing admitted, the session holds this long, doubling.
_HOLD: Final = 0.5
_MAX_HOLD: Final = 30.0
#: Requests in flight at first, growing by one per answer up to the cap (slow start)...
_START_WINDOW: Final = 2
#: ...or by one when it has been full this long with requests waiting (slow calls).
_WIDEN: Final = 0.1


class Throttle:
    """Paces the requests of one session.

    ``rate`` (requests per second, ``None`` for none) is a ceiling enforced as
    a token bucket of ``burst`` (GCRA). ``in_flight`` caps the requests awaiting
    an answer (the connection limit), so that a queue forms here, where it can
    be paced, rather than in the connection pool; it opens from two, by one
    per answer (slow start: the first wave stays near the server's burst), and
    by one for every tenth of a second it stays full (slow calls hold no one long).

    A 429 is a congestion event, answered once: further 429s for requests sent
    before that decrease took effect belong to the same event. The refused level
    is the pace requests were sent at, or the rate the server admitted since the
    last decrease if lower (its bucket was empty then and is again), or when
    unpaced, the rate it admitted in the second before. The pace drops
    below it (deeper if refused again before it had climbed back), climbs back
    to just under it within a second and then probes gently beyond, up to the
    ceiling; without one, pacing ends once far above. A long ``Retry-After``,
    or a refusal when nothing was admitted, holds every request of the session;
    when the hold ends, requests leave at the paced rate, each taking its slot
    only then.
    Every :meth:`acquire` or :meth:`enter` is paired with one :meth:`release`.
    """

    __slots__ = (
        "_active",
        "_answers",
        "_answers_then",
        "_base",
        "_burst",
        "_ceiling",
        "_clock",
        "_counts",
        "_decreased_at",
        "_first",
        "_holds",
        "_interval",
        "_last_slice",
        "_level",
        "_limit",
        "_loop",
        "_max_burst",
        "_paused_until",
        "_ramp_at",
        "_restart",
        "_resumed_at",
        "_since",
        "_tat",
        "_timer",
        "_waiters",
        "_widener",
        "_window",
    )

    def __init__(
        self,
        rate: float | None = None,
        *,
        burst: int = 1,
        in_flight: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValidationError("rate must be positive (requests per second) or None")
        if burst < 1:
            raise ValidationError("burst must be at least 1")
        if in_flight is not None and in_flight < 1:
            raise ValidationError("in_flight must be at least 1 or None")
        self._ceiling = rate
        self._max_burst = burst  # the configured burst, used at the ceiling
        self._burst = burst
        self._interval = 0.0 if rate is None else 1.0 / rate
        self._clock = clock
        self._tat = -math.inf  # theoretical arrival time of the next request
        self._paused_until = 0.0  # 0.0: no pause (cheap to test on the hot path)
        self._holds = 0  # holds in a row without an admitted answer
        self._limit = in_flight if in_flight is not None else 1 << 30
        self._window = min(self._limit, _START_WINDOW)
        self._active = 0  # requests between acquire/enter and release
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._widener: asyncio.TimerHandle | None = None
        # The admitted rate: non-429 answers per slice, over the last second.
        self._counts = [0] * _SLICES
        self._last_slice = -1
        self._first = math.inf  # when the first answer came
        self._answers = 0  # admitted answers in all
        self._answers_then = 0  # ...at the last decrease
        # Adaptation: since the last decrease at ``_since``, the rate climbs from
        # ``_base`` to ``_level`` (the rate that was refused), then probes beyond.
        self._decreased_at = -math.inf
        self._since = -math.inf
        self._ramp_at = 0.0
        self._resumed_at = -math.inf  # when the last hold ended
        self._restart = False  # whether the window restarts at one when it ends
        self._base = 0.0
        self._level = 0.0  # 0.0: not adapting (the ceiling, or no pacing at all)

    @property
    def rate(self) -> float | None:
        """The current pacing rate in requests per second (``None``: unpaced)."""
        if self._level:
            rate = self._adapted(self._clock())
            return None if rate == math.inf else rate
        return self._ceiling

    @property
    def paused_until(self) -> float:
        """The clock's time before which no request leaves (0.0: none)."""
        return self._paused_until

    # -- the request path ----------------------------------------------------------

    def idle(self) -> bool:
        """Whether a request may go now without waiting (no rate, hold or full window).

        The request path checks this first and calls :meth:`enter` instead of
        :meth:`acquire` (an await) if so.
        """
        return (
            not self._interval
            and self._active < self._window
            and not self._waiters
            and (not self._paused_until or self._paused_until <= self._clock())
        )

    def enter(self) -> None:
        """Let a request through at once; only when :meth:`idle` said so. Pair with release."""
        self._active += 1

    async def acquire(self) -> None:
        """Wait until this request may be sent (in order of arrival)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._timer, self._widener = loop, None, None
            self._waiters.clear()  # a previous loop's waiters are gone with it
        if not self._waiters and self.delay() == 0.0:
            self.depart()
            return
        waiter = loop.create_future()
        self._waiters.append(waiter)
        if self._timer is None:
            self._dispatch()
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # cancelled after it was let go: give its place back
            raise

    def release(self) -> None:
        """The request let through has its answer (or failed): no longer in flight."""
        self._active -= 1
        if self._waiters and self._timer is None:
            self._dispatch()

    # -- pure decisions --------------------------------------------------------------

    def delay(self) -> float:
        """Seconds until the next request may leave (``math.inf``: when one is answered)."""
        now = self._clock()
        if self._paused_until:
            if self._paused_until > now:
                return self._paused_until - now
            self._resume(now)
        if self._active >= self._window:
            return math.inf
        if self._level:
            self._adapted(now)
        if not self._interval:
            return 0.0
        return max(0.0, self._tat - self._interval * (self._burst - 1) - now)

    def depart(self) -> None:
        """The next request leaves now: it takes its rate slot and a place in flight."""
        if self._interval:
            self._tat = max(self._tat, self._clock()) + self._interval
        self._active += 1

    def success(self) -> None:
        """An answer other than 429 (the server admitted the request)."""
        now = self._clock()
        k = int(now / _SLICE)
        if k != self._last_slice:
            self._roll(k, now)
        self._counts[k % _SLICES] += 1
        self._answers += 1
        self._holds = 0
        if self._window < self._limit:
            self._window += 1
            if self._waiters and self._timer is None:
                self._dispatch()

    def refused(self, sent_at: float, retry_after: float | None = None) -> None:
        """A 429 for a request sent at ``sent_at`` (the clock's time); one reaction per event."""
        now = self._clock()
        if retry_after is not None and retry_after > _LONG_RETRY_AFTER:
            self.pause(retry_after)  # the server asks for a real break: everyone waits
        if sent_at < self._decreased_at:
            return  # sent at the old rate: part of the event already answered
        self._decreased_at = now
        # The refused level: the pace we sent at, or unpaced, what the server admitted
        # in the last second (an overestimate by its burst: the next events correct it).
        level = self._adapted(now) if self._level else self._ceiling or math.inf
        factor = _DEEPER if now - self._ramp_at < _RECOVER else _DECREASE
        if level == math.inf:
            admitted, span = self._admitted(now, self._since)
            if admitted:
                level = admitted / span
        elif _MEASURE <= now - self._since < math.inf:
            # The server's bucket was empty at the last decrease and is again: what it
            # admitted in between is its rate (less if it sat full meanwhile, hence a floor).
            measured = (self._answers - self._answers_then) / (now - self._since)
            level = max(level * _TRUST, min(level, measured))
        if level == math.inf or not self._admitted(now, -math.inf)[0]:
            # Refusals with nothing admitted: pacing cannot help, so hold the session.
            if retry_after is None:
                self.pause(min(_MAX_HOLD, _HOLD * 2**self._holds))
            elif retry_after <= _LONG_RETRY_AFTER:
                self.pause(retry_after)
            self._holds += 1
            if level == math.inf:
                # Nothing known to pace at: after the hold, one request in flight,
                # one more per admitted answer, until refusals measure the rate.
                self._restart = True
                return
        self._since, self._answers_then = now, self._answers
        self._ramp_at = max(now, self._paused_until)
        self._level = max(_MIN_RATE, level)
        self._base = max(_MIN_RATE, level * factor)
        self._burst = _ADAPTIVE_BURST
        self._set_interval(self._base)
        # The server's bucket is empty now: the next request waits one slot of the new pace.
        self._tat = max(self._tat, now + self._interval * _ADAPTIVE_BURST)
        # A request let go before this decrease may report a later send time (its task
        # runs after its turn was given); none let go after it leaves before its slot.
        self._decreased_at = self._tat - self._interval * (_ADAPTIVE_BURST - 1)

    def pause(self, seconds: float) -> None:
        """Hold every request of the session for ``seconds`` from now."""
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until = until
            if self._level and until > self._ramp_at:
                self._ramp_at = until  # the climb back starts when requests flow again

    # -- internals -----------------------------------------------------------------

    def _adapted(self, now: float) -> float:
        """The adaptive rate at ``now`` (and the interval set from it)."""
        t = max(0.0, now - self._ramp_at)
        top = self._level * _PLATEAU
        if t < _RECOVER:
            rate = self._base + (top - self._base) * t / _RECOVER
        else:
            rate = top * (1.0 + _PROBE * (t - _RECOVER) ** 2)
        ceiling = self._ceiling
        if ceiling is not None and rate >= ceiling:
            self._level, self._burst = 0.0, self._max_burst  # back at the ceiling
            self._set_interval(ceiling)
            return ceiling
        if ceiling is None and rate >= self._level * _UNPACE:
            self._level, self._burst, self._interval = 0.0, self._max_burst, 0.0  # unpaced
            return math.inf
        self._set_interval(rate)
        return rate

    def _resume(self, now: float) -> None:
        """A hold has ended: measure from here (and restart slowly if the pace is unknown)."""
        self._resumed_at, self._paused_until = now, 0.0
        if self._restart:
            self._restart, self._window = False, 1

    def _widen(self) -> None:
        """The window stayed full without an answer: one more (slow calls hold no one long)."""
        self._widener = None
        if self._active >= self._window:
            self._window = min(self._limit, self._window + 1)
        if self._waiters and self._timer is None:
            self._dispatch()

    def _set_interval(self, rate: float) -> None:
        self._interval = 1.0 / rate

    def _roll(self, k: int, now: float) -> None:
        """Start slice ``k``, zeroing the slices skipped since the last answer."""
        last = self._last_slice
        if last < 0:
            self._first = now
        for j in range(max(last + 1, k - _SLICES + 1), k + 1):
            self._counts[j % _SLICES] = 0
        self._last_slice = k

    def _admitted(self, now: float, since: float) -> tuple[int, float]:
        """Non-429 answers after ``since`` in the last second, and the span they cover."""
        k = int(now / _SLICE)
        if self._last_slice < 0 or k - self._last_slice >= _SLICES:
            return 0, 0.0
        begin = max(self._first, self._resumed_at)
        start = max(k - _SLICES + 1, int(begin / _SLICE))
        if since != -math.inf:
            start = max(start, int(since / _SLICE) + 1)
        count = sum(self._counts[j % _SLICES] for j in range(start, self._last_slice + 1))
        return count, max(now - max(start * _SLICE, begin), _SLICE)  # a slice at least

    def _dispatch(self) -> None:
        """Let the waiters at the head go while they may; arm a timer for the next one."""
        self._timer = None
        waiters = self._waiters
        while waiters:
            if waiters[0].done():  # cancelled while waiting
                waiters.popleft()
                continue
            wait = self.delay()
            if wait > 0.0:
                if self._loop is None:
                    return
                if wait != math.inf:
                    self._timer = self._loop.call_later(wait, self._dispatch)
                elif self._widener is None and self._window < self._limit:
                    self._widener = self._loop.call_later(_WIDEN, self._widen)
                return
            self.depart()
            waiters.popleft().set_result(None)
