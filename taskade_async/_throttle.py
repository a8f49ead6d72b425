"""The asyncio layer of pacing: it only waits and wakes.

What the answers mean is :class:`._pace.PaceModel`; when the next request
may leave is :class:`._spacing.Spacing` and :class:`._spacing.Window`. Here
requests queue in arrival order and the head is woken when those say so,
timed at the pace of the moment it is woken.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from ._errors import ValidationError
from ._pace import PaceModel
from ._spacing import Spacing, Window

__all__ = ["Throttle"]

#: A full window with requests waiting opens by one after this long (slow calls).
_WIDEN: Final = 0.1
#: While adapting, the burst is this (one slot of catch-up for a late timer).
_ADAPTIVE_BURST: Final = 2


class Throttle:
    """Paces the requests of one session.

    ``rate`` (requests per second, ``None`` for none) is a ceiling, with
    bursts of ``burst``; below it the pace follows what the server admits
    (see :class:`._pace.PaceModel`). ``in_flight`` caps the requests awaiting
    an answer (the connection limit) so that requests queue here, where they
    can be paced. Every :meth:`acquire`, and every :meth:`enter_if_idle` that
    let a request through, is paired with one :meth:`release`.
    """

    __slots__ = (
        "_burst",
        "_clock",
        "_loop",
        "_timer",
        "_waiters",
        "_widener",
        "model",
        "spacing",
        "window",
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
        self.model = PaceModel(rate)
        self.spacing = Spacing()
        self.window = Window(in_flight)
        self._burst = burst
        self._clock = clock
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._widener: asyncio.TimerHandle | None = None

    @property
    def rate(self) -> float | None:
        """The pace now in requests per second (``None``: unpaced); a read only."""
        return self.model.rate(self._clock())

    @property
    def paused_until(self) -> float:
        """The clock's time before which no request leaves (0.0: none)."""
        return self.model.hold_until

    # -- the request path ----------------------------------------------------------

    def enter_if_idle(self) -> bool:
        """Let a request through at once if it need not wait; whether it did.

        The hot path: one call and no await when nothing is queued, the window
        has room and nothing paces or holds the session. Else :meth:`acquire`.
        """
        model, window = self.model, self.window
        if (
            window.active < window.size
            and not self._waiters
            and model.unpaced
            and (not model.hold_until or model.hold_until <= self._clock())
        ):
            window.active += 1
            return True
        return False

    async def acquire(self) -> None:
        """Wait until this request may be sent (in order of arrival)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._timer, self._widener = loop, None, None
            self._waiters.clear()  # a previous loop's waiters are gone with it
        if not self._waiters and self.delay() == 0.0:
            self._depart()
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
        self.window.active -= 1
        if self._waiters and self._timer is None:
            self._dispatch()

    def answered(
        self, sent_at: float, refused: bool = False, retry_after: float | None = None
    ) -> str | None:
        """Feed an answer to the model (see :meth:`PaceModel.on_answer`); what it did."""
        did = self.model.on_answer(self._clock(), sent_at, refused, retry_after)
        window = self.window
        if not refused and window.size < window.limit:
            window.size += 1  # slow start: one more in flight per answer
        if self._waiters and self._timer is None:
            self._dispatch()
        return did

    def pause(self, seconds: float) -> None:
        """Hold every request of the session for ``seconds`` from now."""
        until = self._clock() + seconds
        if until > self.model.hold_until:
            self.model.hold_until = until

    def delay(self) -> float:
        """Seconds until the head of the queue may leave (``math.inf``: when one is answered)."""
        now = self._clock()
        hold = self.model.hold_until
        if hold > now:
            return hold - now
        if self.window.full():
            return math.inf
        rate = self.model.rate(now)
        burst = _ADAPTIVE_BURST if self.model.adapting else self._burst
        return self.spacing.wait(now, rate, burst)

    # -- internals -----------------------------------------------------------------

    def _depart(self) -> None:
        self.spacing.depart(self._clock(), self.model.rate(self._clock()))
        self.window.active += 1

    def _widen(self) -> None:
        self._widener = None
        self.window.widen()
        if self._waiters and self._timer is None:
            self._dispatch()

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
                elif self._widener is None and self.window.size < self.window.limit:
                    self._widener = self._loop.call_later(_WIDEN, self._widen)
                return
            self._depart()
            waiters.popleft().set_result(None)
