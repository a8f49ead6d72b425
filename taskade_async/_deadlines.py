"""Per-call deadlines: what each call has done so far, and one shared timer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from yarl import URL

from ._errors import RateLimitError, RequestTimeoutError, SessionClosedError, TaskadeError
from ._request import Operation, conclude

__all__ = ["_Call", "_Deadlines", "_Tally", "closed_error", "paused_error", "timed_out"]


class _Tally:
    """What one call has done so far: attempts sent, and whether one may have acted."""

    __slots__ = ("attempts", "before", "sent")

    def __init__(self) -> None:
        self.attempts = 0
        #: Some attempt may have reached the server (not: connect failed, 3xx/4xx, 429).
        self.sent = False
        self.before = False

    def begin(self, attempt: int) -> float:
        """Attempt ``attempt`` goes out (it may reach the server until we learn otherwise): when."""
        self.attempts = attempt
        self.before = self.sent
        self.sent = True
        return time.monotonic()

    def not_acted(self) -> None:
        """The last attempt did not reach the server, or the server refused it unapplied."""
        self.sent = self.before


class _Call(_Tally):
    """A call in flight under the session's default budget."""

    __slots__ = ("cancelling", "expired", "left", "task", "when")

    def __init__(self, task: asyncio.Task[Any], when: float) -> None:
        self.attempts = 0
        self.sent = self.before = False
        self.task = task
        self.when = when  # loop time
        self.cancelling = task.cancelling()
        self.expired = False
        self.left = False


class _Deadlines:
    """The deadlines of the calls that use the session's default budget, on one timer.

    What ``asyncio.timeout`` does, without arming and cancelling a loop timer
    per call (measured at 8-12 us of CPU per call on this stack). All these
    calls have the same budget, so they expire in the order they started: the
    calls in flight sit in an insertion-ordered dict, and a single timer
    waits for the oldest one's deadline; when it fires, every call past its
    deadline is cancelled (and reports a timeout, as ``asyncio.timeout``
    would), and the timer is armed again for the oldest call left.
    """

    __slots__ = ("_calls", "_loop", "_timer", "_timer_when")

    def __init__(self) -> None:
        self._calls: dict[_Call, None] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0

    def enter(self, budget: float, task: asyncio.Task[Any] | None = None) -> _Call:
        """Register ``task``'s call (default: the current task's); it expires ``budget`` s from now.

        The request path passes the task it already looked up (one lookup per call).
        """
        if task is None:
            task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Session.request must run in an asyncio task")
        loop = task.get_loop()
        if loop is not self._loop:
            # A new event loop (the old one is gone, with whatever ran on it).
            if self._timer is not None:
                self._timer.cancel()
            self._calls.clear()
            self._loop, self._timer = loop, None
        call = _Call(task, loop.time() + budget)
        self._calls[call] = None
        if self._timer is None:
            self._arm(loop, call.when)
        return call

    def leave(self, call: _Call, *, cancelled: bool) -> bool:
        """Unregister ``call``; whether its cancellation is this deadline's (a timeout).

        As in ``asyncio.timeout``: an expired call takes its own cancel request
        back, and only reports a timeout if no other cancel request is pending.
        """
        call.left = True
        self._calls.pop(call, None)
        if not call.expired:
            return False
        return call.task.uncancel() <= call.cancelling and cancelled

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        self._timer_when = when
        self._timer = loop.call_at(when, self._expire)

    def _expire(self) -> None:
        self._timer = None
        loop = self._loop
        assert loop is not None
        # The timer may run a hair before its time (the loop's clock resolution).
        now = max(loop.time(), self._timer_when)
        calls = self._calls
        while calls:
            call = next(iter(calls))
            if call.when > now:
                self._arm(loop, call.when)
                return
            del calls[call]
            call.expired = True
            call.task.cancel()


def timed_out(op: Operation, url: URL, budget: float, tally: _Tally | None) -> TaskadeError:
    """The error of a call that ran out of time, saying how many attempts it made."""
    assert tally is not None  # only the deadline raises a bare TimeoutError here
    timeout = RequestTimeoutError(
        f"{op.method} {url}: no answer within the call's deadline ({budget:g} s)",
        method=op.method,
        url=str(url),
    )
    return conclude(timeout, tally.attempts, sent=tally.sent, idempotent=op.idempotent)


def paused_error(method: str, url: URL, hold: float) -> RateLimitError:
    """The error of a call whose deadline passes before the session's hold (``hold`` s) ends."""
    return RateLimitError(
        retry_after=hold,
        status=429,
        code=None,
        message=f"the session holds after a 429 for {hold:.1f} s more, past this call's deadline",
        status_message=None,
        method=method,
        url=str(url),
    )


def closed_error(op: Operation, url: URL, tally: _Tally | None) -> TaskadeError:
    """The error of a call still in flight when its session was closed."""
    error = SessionClosedError(
        f"{op.method} {url}: the session was closed while this call was in flight",
        method=op.method,
        url=str(url),
    )
    if tally is None or not tally.attempts:
        return error
    return conclude(error, tally.attempts, sent=tally.sent, idempotent=op.idempotent)
