"""The session-wide deadline: one shared timer, with ``asyncio.timeout``'s semantics."""

from __future__ import annotations

import asyncio
import time

import pytest

import taskade_async as tk
from taskade_async._deadlines import _Deadlines

from .conftest import SessionFactory, acquired
from .server import Server, reply

GET = tk.Operation("taskGet", "GET", "/t/{id}")
OK = reply(200, {"ok": True, "item": "done"})


async def test_each_hanging_call_times_out_after_quick_ones_finished(
    server: Server, make_session: SessionFactory
) -> None:
    """Calls that finish leave the timer armed for the ones still in flight, which time out."""
    server.route("GET", "/t/quick", OK)
    server.route("GET", "/t/slow", server.hang)
    async with make_session(deadline=0.3) as s:
        started = time.monotonic()
        slow = [asyncio.create_task(s.request(GET, ("slow",))) for _ in range(3)]
        for _ in range(5):
            assert (await s.request(GET, ("quick",)))["item"] == "done"
        late = asyncio.create_task(s.request(GET, ("slow",)))
        results = await asyncio.gather(*slow, late, return_exceptions=True)
        assert time.monotonic() - started >= 0.3  # none before its deadline
        assert all(isinstance(r, tk.RequestTimeoutError) for r in results)
        assert all("deadline (0.3 s)" in str(r) for r in results)  # each by its deadline
        assert acquired(s) == 0
    assert len(server.requests("/t/slow")) == 4  # each sent once, none retried


async def test_a_timed_out_call_leaves_no_cancel_request_behind(
    server: Server, make_session: SessionFactory
) -> None:
    """After a timeout the task is not cancelling, and its next call works."""
    server.route("GET", "/t/slow", server.hang)
    server.route("GET", "/t/quick", OK)
    async with make_session(deadline=0.2) as s:
        with pytest.raises(tk.RequestTimeoutError):
            await s.request(GET, ("slow",))
        task = asyncio.current_task()
        assert task is not None
        assert task.cancelling() == 0
        assert (await s.request(GET, ("quick",)))["item"] == "done"


async def test_a_cancel_from_outside_stays_a_cancel(
    server: Server, make_session: SessionFactory
) -> None:
    """Cancelling a call in flight raises CancelledError, not a timeout, and frees its place."""
    server.route("GET", "/t/slow", server.hang)
    async with make_session(deadline=60) as s:
        call = asyncio.create_task(s.request(GET, ("slow",)))
        await server.wait_for(1)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert s._deadlines._calls == {}


async def _expired_call(also_cancel: bool) -> tuple[bool, BaseException | None]:
    """Run a call that expires (and is cancelled from outside too, if asked)."""
    deadlines = _Deadlines()
    verdicts: list[bool] = []

    async def body() -> None:
        call = deadlines.enter(0.0)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            verdicts.append(deadlines.leave(call, cancelled=True))
            raise

    task = asyncio.create_task(body())
    await asyncio.sleep(0)  # the body registers its call and waits
    deadlines._expire()  # what the shared timer does at the deadline
    if also_cancel:
        task.cancel()
    result = (await asyncio.gather(task, return_exceptions=True))[0]
    return verdicts[0], result if isinstance(result, BaseException) else None


async def test_an_expired_call_reports_a_timeout() -> None:
    """A call past its deadline is cancelled, and its cancellation is the deadline's."""
    is_timeout, raised = await _expired_call(also_cancel=False)
    assert is_timeout
    assert isinstance(raised, asyncio.CancelledError)


async def test_a_cancel_at_the_deadline_stays_a_cancel() -> None:
    """A call cancelled from outside as its deadline passes is a cancel, not a timeout."""
    is_timeout, raised = await _expired_call(also_cancel=True)
    assert not is_timeout
    assert isinstance(raised, asyncio.CancelledError)
