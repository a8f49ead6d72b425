"""Client-side pacing: the token bucket, measured at the server."""

from __future__ import annotations

import asyncio
import time

import pytest

import taskade_async as tk
from taskade_async import _classify, _request
from taskade_async._retry import parse_retry_after
from taskade_async._throttle import Throttle

from .conftest import SessionFactory
from .server import Server, error, reply, sequence

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
    # and not far behind: pacing, not stalling (a hold would add whole seconds);
    # the margin is wide because a loaded machine delays every arrival
    assert arrivals[-1] < 9 * 0.05 + 1.0


async def test_burst_lets_the_first_requests_through(
    server: Server, make_session: SessionFactory
) -> None:
    """With burst=4 the first four calls go at once, the rest one slot of 0.1 s apart."""
    server.route("GET", "/projects/p", reply())
    async with make_session(rate_limit=10, rate_burst=4) as s:
        started = time.monotonic()
        await asyncio.gather(*(s.request(GET, ("p",)) for _ in range(6)))
    arrivals = sorted(r.at - started for r in server.requests())
    assert arrivals[3] < 0.3 - 0.002  # without the burst the 4th could not leave before 0.3 s
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


def test_429_after_admitted_answers_lowers_the_ceiling_pace_once() -> None:
    """A wave of 429s lowers a configured rate once; the pace then climbs back to it."""
    now = [0.0]
    throttle = Throttle(10.0, clock=lambda: now[0])
    for _ in range(20):
        now[0] += 0.1
        throttle.answered(now[0] - 0.05)
    for _ in range(5):
        throttle.answered(now[0] - 0.05, True, 1.0)
    assert throttle.rate == pytest.approx(9.0)  # once: 0.9x the pace refused
    now[0] += 30.0
    assert throttle.rate == 10.0  # the ceiling, never more


async def test_429_reaches_the_throttle_once_with_retry_after_parsed_once(
    server: Server, make_session: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retried 429 with Retry-After is one reaction of the throttle and one parse."""
    server.route(
        "GET",
        "/projects/p",
        sequence(error(429, "TOO_MANY_REQUESTS", "wait", headers={"Retry-After": "0"}), reply()),
    )
    parses: list[str | None] = []

    def counting(value: str | None, *, now: float | None = None) -> float | None:
        parses.append(value)
        return parse_retry_after(value, now=now)

    monkeypatch.setattr(_request, "parse_retry_after", counting)
    monkeypatch.setattr(_classify, "parse_retry_after", counting)
    reactions: list[tuple[float, float | None]] = []

    class Counting(Throttle):
        def answered(
            self, sent_at: float, refused: bool = False, retry_after: float | None = None
        ) -> str | None:
            if refused:
                reactions.append((sent_at, retry_after))
            return super().answered(sent_at, refused, retry_after)

    async with make_session() as s:
        s.throttle = Counting()
        await s.request(GET, ("p",))
    assert len(reactions) == 1
    assert reactions[0][1] == 0.0
    assert parses == ["0"]


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_bad_settings_are_refused(rate: float, burst: int) -> None:
    """A non-positive rate or burst is refused by the Session, before anything is sent."""
    with pytest.raises(tk.ValidationError, match="must be"):
        tk.Session("tskdp_x", rate_limit=rate, rate_burst=burst)


def test_enter_if_idle_lets_through_only_what_need_not_wait() -> None:
    """The hot path's one call enters at once exactly when nothing would make it wait:
    not a full window, a pace, or a hold (one that is over no longer counts)."""
    now = [100.0]

    def states() -> list[Throttle]:
        fresh = Throttle(clock=lambda: now[0])
        full = Throttle(in_flight=1, clock=lambda: now[0])
        assert full.enter_if_idle()
        paced = Throttle(5.0, clock=lambda: now[0])
        over = Throttle(clock=lambda: now[0])
        over.pause(1.0)
        now[0] += 2.0  # its hold is over
        held = Throttle(clock=lambda: now[0])
        held.pause(1.0)
        return [fresh, full, paced, held, over]

    entered = []
    for throttle in states():
        active = throttle.window.active
        entered.append(throttle.enter_if_idle())
        assert throttle.window.active == active + entered[-1]
    assert entered == [True, False, False, False, True]
