"""A rate-limited server under many concurrent calls: the session must not hammer it."""

from __future__ import annotations

import asyncio
import time

import pytest

import taskade_async as tk
from taskade_async._throttle import Throttle
from taskade_async.api import tasks
from taskade_async.testing import FakeTaskade

#: Short waits between attempts: the server's Retry-After does the pacing here.
QUICK = tk.RetryPolicy(max_attempts=5, base_backoff=0.001, max_backoff=0.01)
CALLS = 100
BURST = 25


async def test_concurrent_calls_do_not_hammer_in_waves(taskade_fake: FakeTaskade) -> None:
    """100 concurrent GETs on a bucket of 25 all succeed, and few are refused."""
    space = taskade_fake.add_workspace("QA")
    project = taskade_fake.add_project(space, "Limits")
    task = taskade_fake.add_task(project, "one")
    taskade_fake.set_rate_limit(100, BURST)
    async with tk.Session(
        token=taskade_fake.token, base_url=taskade_fake.base_url, retry=QUICK
    ) as s:
        results = await asyncio.gather(
            *(tasks.get(s, project.id, task.id) for _ in range(CALLS)), return_exceptions=True
        )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    # Sent all at once, CALLS - BURST would be refused in the first wave alone, and
    # again in waves; queued and paced at the rate admitted, fewer are in all.
    assert taskade_fake.rate_limited < CALLS - BURST


async def test_waiter_cancelled_after_its_wake_up_hands_the_turn_on() -> None:
    """With one request in flight, a waiter cancelled just after its wake-up lets the next in."""
    throttle = Throttle(in_flight=1)
    await throttle.acquire()
    second = asyncio.create_task(throttle.acquire())
    third = asyncio.create_task(throttle.acquire())
    await asyncio.sleep(0)  # both are queued behind the first
    assert not second.done()
    assert not third.done()
    throttle.release()  # wakes `second`...
    second.cancel()  # ...which is cancelled before it runs
    await asyncio.wait_for(third, 1)  # the turn went on to `third`
    assert second.cancelled()
    throttle.release()


async def test_calls_that_hang_do_not_hold_the_opening_window_shut() -> None:
    """With the first two calls unanswered, a third still goes: a full window opens by one."""
    throttle = Throttle()
    for _ in range(2):  # the opening window: both in flight, neither answered
        assert throttle.enter_if_idle()
    assert not throttle.enter_if_idle()
    await asyncio.wait_for(throttle.acquire(), 5)  # no release, no answer: it opened anyway
    for _ in range(3):
        throttle.release()


async def test_waiters_leave_one_by_one_after_a_hold() -> None:
    """When a hold ends, queued requests leave at the paced rate: the first alone."""
    throttle = Throttle(20.0)
    throttle.pause(0.05)

    async def answered() -> None:
        await throttle.acquire()
        throttle.release()  # answered at once: its place opens one more (slow start)
        throttle.answered(0.0)

    waiters = [asyncio.create_task(answered()) for _ in range(4)]
    done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    assert len(done) == 1  # the others wait for their slots, 1/20 s apart
    await asyncio.gather(*pending)


async def test_answers_other_than_success_reopen_the_window(taskade_fake: FakeTaskade) -> None:
    """After a 429, 404 answers restore concurrency too: later slow calls still overlap."""
    space = taskade_fake.add_workspace("QA")
    project = taskade_fake.add_project(space, "Limits")
    async with tk.Session(
        token=taskade_fake.token, base_url=taskade_fake.base_url, retry=QUICK
    ) as s:
        taskade_fake.fail_next(429, retry_after=0.01)
        for _ in range(70):  # answered, though not found: the server is not overloaded
            with pytest.raises(tk.NotFoundError):
                await tasks.get(s, project.id, "missing")
        taskade_fake.delay_next(0.3, times=8)
        started = time.monotonic()
        await asyncio.gather(
            *(
                asyncio.gather(tasks.get(s, project.id, "missing"), return_exceptions=True)
                for _ in range(8)
            )
        )
        # One at a time would take 8 x 0.3 s; side by side, about 0.3 s.
        assert time.monotonic() - started < 1.2
