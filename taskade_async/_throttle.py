"""Client-side pacing: an optional request rate, and a session-wide pause after 429."""

from __future__ import annotations

import asyncio
import time

from ._errors import ValidationError

__all__ = ["Throttle"]


class Throttle:
    """Paces requests for one session.

    ``rate`` (requests per second, ``None`` for unlimited) is enforced as a
    token bucket of ``burst`` tokens (GCRA: each caller reserves its slot at
    once, so no lock is needed). A 429 calls :meth:`pause` so that every request
    of the session waits for ``Retry-After``, not only the one that got it, and
    halves the rate; each later success wins back a little of it.
    """

    __slots__ = ("_burst", "_interval", "_max_rate", "_paused_until", "_rate", "_tat")

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

    @property
    def rate(self) -> float | None:
        """The current rate in requests per second (``None``: unlimited)."""
        return self._rate

    @property
    def paused_until(self) -> float:
        """``time.monotonic()`` before which no request is sent."""
        return self._paused_until

    def idle(self) -> bool:
        """Whether a request may go now without waiting (no rate set, no pause running).

        The request path checks this first and skips :meth:`acquire` (an await) if so.
        """
        return not self._interval and self._paused_until <= time.monotonic()

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
        # ASYNC110: the pause can move while we sleep; a timed re-check is the point.
        while (wait := self._paused_until - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every request of the session for ``seconds`` from now (after a 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        if self._rate is not None:
            self._set_rate(self._rate / 2)

    def success(self) -> None:
        """Recover the configured rate after a 429, additively."""
        if self._rate is not None and self._max_rate is not None and self._rate < self._max_rate:
            self._set_rate(min(self._max_rate, self._rate + self._max_rate / 50))

    def _set_rate(self, rate: float) -> None:
        floor = (self._max_rate or 1.0) / 64
        self._rate = max(rate, floor)
        self._interval = 1.0 / self._rate
