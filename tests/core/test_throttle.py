"""Client-side pacing: the token bucket, measured at the server."""

from __future__ import annotations

import asyncio
import time

import pytest

import taskade_async as tk
from taskade_async._throttle import Throttle

from .conftest import SessionFactory
from .server import Server, reply

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")


async def test_rate_limit_paces_requests(server: Server, make_session: SessionFactory) -> None:
    """At 20 requests/s, the k-th of 10 concurrent calls arrives no sooner than k/20 s."""
    server.route("GET", "/projects/p", reply())
    async with make_session(rate_limit=20) as s:
        started = time.monotonic()  # the server runs in this process: same clock
        await asyncio.gather(*(s.request(GET, ("p",)) for _ in range(10)))
    arrivals = sorted(r.at - started for r in server.requests())
    for k, at in enumerate(arrivals):
        assert at >= k * 0.05 - 0.002, (k, at)  # never ahead of its slot (timer granularity)
    assert arrivals[-1] < 9 * 0.05 + 0.25  # and not much behind: pacing, not stalling


async def test_burst_lets_the_first_requests_through(
    server: Server, make_session: SessionFactory
) -> None:
    """With burst=4 the first four calls go at once, the rest one slot of 0.1 s apart."""
    server.route("GET", "/projects/p", reply())
    async with make_session(rate_limit=10, rate_burst=4) as s:
        started = time.monotonic()
        await asyncio.gather(*(s.request(GET, ("p",)) for _ in range(6)))
    arrivals = sorted(r.at - started for r in server.requests())
    assert arrivals[3] < 0.05
    assert arrivals[4] >= 0.1 - 0.002
    assert arrivals[5] >= 0.2 - 0.002


async def test_pause_holds_every_acquire() -> None:
    """After pause(0.2), acquire waits until the pause has passed."""
    throttle = Throttle()
    throttle.pause(0.2)

    async def one_request() -> None:
        await throttle.acquire()
        throttle.release()  # every acquire is paired with a release

    started = time.monotonic()
    await asyncio.gather(one_request(), one_request())
    assert time.monotonic() - started >= 0.2


def test_pause_halves_the_rate_and_success_wins_it_back() -> None:
    """A 429 halves the configured rate; successes restore it additively."""
    throttle = Throttle(10.0)
    throttle.pause(0)
    assert throttle.rate == 5.0
    for _ in range(100):
        throttle.success()
    assert throttle.rate == 10.0


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_bad_settings_are_refused(rate: float, burst: int) -> None:
    """A non-positive rate or burst is refused by the Session, before anything is sent."""
    with pytest.raises(tk.ValidationError, match="must be"):
        tk.Session("tskdp_x", rate_limit=rate, rate_burst=burst)
