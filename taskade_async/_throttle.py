"""Client-side pacing: an optional request rate, and a session-wide pause after 429."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Final

from ._errors import ValidationError

__all__ = ["Throttle"]

#: After a 429 the window of concurrent requests restarts at 1 and grows by one per
#: success (slow start); past this size it is lifted altogether.
_OPEN_WINDOW: Final = 64


class Throttle:
    """Paces requests for one session.

    ``rate`` (requests per second, ``None`` for unlimited) is enforced as a
    token bucket of ``burst`` tokens (GCRA: each caller reserves its slot at
    once, so no lock is needed). A 429 calls :meth:`pause` so that every request
    of the session waits for ``Retry-After``, not only the one that got it, and
    halves the rate; each later success wins back a little of it. When the pause
    ends, requests are let through gradually, not all at once: the number in flight
    restarts at one and grows by one per success, so concurrent callers do not hit
    the server in waves. Every :meth:`acquire` is paired with one :meth:`release`.
    """

    __slots__ = (
        "_active",
        "_burst",
        "_interval",
        "_max_rate",
        "_paused_until",
        "_rate",
        "_tat",
        "_waiters",
        "_window",
    )

    def __init__(self, rate: float | None = None, *, burst: int = 1) -> None:
        if rate is not None and rate <= 0:
            raise ValidationError("rate must be positive (requests per second) or None")
        if burst < 1:
            raise ValidationError("burst must be at least 1")
        self._max_rate = rate
        self._rate = rate
        self._burst = burst
        self._interval = 0.0 if rate is None else 1.0 / rate
        self._tat = 0.0  # theoretical arrival time of the next request (monotonic)
        self._paused_until = 0.0
        self._active = 0  # requests between acquire() and release()
        self._window: int | None = None  # how many may be in flight (None: no limit)
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def rate(self) -> float | None:
        """The current rate in requests per second (``None``: unlimited)."""
        return self._rate

    @property
    def paused_until(self) -> float:
        """``time.monotonic()`` before which no request is sent."""
        return self._paused_until

    def idle(self) -> bool:
        """Whether a request may go now without waiting (no rate, pause or window).

        The request path checks this first and calls :meth:`enter` instead of
        :meth:`acquire` (an await) if so.
        """
        return (
            not self._interval and self._window is None and self._paused_until <= time.monotonic()
        )

    def enter(self) -> None:
        """Let a request through at once; only when :meth:`idle` said so. Pair with release."""
        self._active += 1

    async def acquire(self) -> None:
        """Wait until this request may be sent."""
        now = time.monotonic()
        if self._interval:
            tat = max(self._tat, now)
            wait = tat - self._interval * (self._burst - 1) - now
            self._tat = tat + self._interval
            if wait > 0:
                await asyncio.sleep(wait)
        # A pause may start or grow while we wait: check until it holds no more.
        while True:
            if (wait := self._paused_until - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            elif self._window is not None and self._active >= self._window:
                await self._wait_turn()
            else:
                break
        self._active += 1

    def release(self) -> None:
        """The request let through by :meth:`acquire` has its answer (or failed)."""
        self._active -= 1
        if self._waiters:
            self._wake()

    async def _wait_turn(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            # Cancelled, perhaps just after being woken: hand the turn on.
            if not waiter.done():
                self._waiters.remove(waiter)
            self._wake()
            raise

    def _wake(self) -> None:
        free = len(self._waiters) if self._window is None else self._window - self._active
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1

    def pause(self, seconds: float) -> None:
        """Hold every request of the session for ``seconds`` from now (after a 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._window = 1
        if self._rate is not None:
            self._set_rate(self._rate / 2)

    def success(self) -> None:
        """Recover the configured rate and the window after a 429, additively."""
        if self._window is not None:
            self._window += 1
            if self._window >= _OPEN_WINDOW:
                self._window = None
            if self._waiters:
                self._wake()
        if self._rate is not None and self._max_rate is not None and self._rate < self._max_rate:
            self._set_rate(min(self._max_rate, self._rate + self._max_rate / 50))

    def _set_rate(self, rate: float) -> None:
        floor = (self._max_rate or 1.0) / 64
        self._rate = max(rate, floor)
        self._interval = 1.0 / self._rate
