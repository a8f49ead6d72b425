"""Adaptive pacing, proved on the throttle's pure decisions with an injected clock.

The simulation plays a token-bucket server (FakeTaskade's own limiter) against
the throttle on one virtual clock: requests leave when ``delay()`` allows, each
answer comes back one round trip later, and a refusal is reported with the
time its request was sent. No event loop, no wall-clock windows.
"""

from __future__ import annotations

import heapq
import itertools
import math

import pytest

from taskade_async._throttle import Throttle
from taskade_async.testing._ratelimit import RateLimiter

RTT = 0.005


class Clock:
    """A settable clock."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def simulate(
    throttle: Throttle,
    clock: Clock,
    server: RateLimiter,
    seconds: float,
    *,
    retry_after: float | None = 1.0,
) -> list[tuple[float, bool]]:
    """Offer requests without end for ``seconds``; (send time, admitted) of each."""
    end = clock.now + seconds
    answers: list[tuple[float, float, bool]] = []  # (answer time, send time, admitted)
    sent: list[tuple[float, bool]] = []
    while clock.now < end:
        wait = throttle.delay()
        if wait == 0.0:
            throttle.depart()
            admitted = server.acquire("token") is None
            heapq.heappush(answers, (clock.now + RTT, clock.now, admitted))
            sent.append((clock.now, admitted))
            continue
        next_answer = answers[0][0] if answers else math.inf
        clock.now = min(clock.now + wait, next_answer)
        while answers and answers[0][0] <= clock.now:
            _, at, admitted = heapq.heappop(answers)
            throttle.release()
            if admitted:
                throttle.success()
            else:
                throttle.refused(at, retry_after)
    return sent


def admitted_rate(sent: list[tuple[float, bool]], start: float, end: float) -> float:
    """Admitted requests per second among those sent in [start, end)."""
    return sum(ok for at, ok in sent if start <= at < end) / (end - start)


def refused_share(sent: list[tuple[float, bool]]) -> float:
    """The share of requests refused."""
    return sum(not ok for _, ok in sent) / len(sent)


@pytest.mark.parametrize(
    ("ceiling", "retry_after"),
    [(None, 1.0), (80.0, 1.0), (150.0, 1.0), (None, None)],
    ids=["no-ceiling", "ceiling-below", "ceiling-too-high", "no-retry-after"],
)
def test_settles_at_the_rate_the_server_admits(
    ceiling: float | None, retry_after: float | None
) -> None:
    """Against a 100/s bucket the goodput is >= 0.85x what is allowed, with <= 5% refused."""
    clock = Clock()
    server = RateLimiter(100.0, 10, clock=clock)
    throttle = Throttle(ceiling, burst=10, in_flight=64, clock=clock)
    start = clock.now
    sent = simulate(throttle, clock, server, 20.0, retry_after=retry_after)
    allowed = min(100.0, ceiling or math.inf)
    assert admitted_rate(sent, start + 2, start + 20) >= 0.85 * allowed
    assert refused_share(sent) <= 0.05


def test_a_short_run_refuses_little_from_its_first_wave() -> None:
    """Against 25/s (burst 5), 12 s unpaced refuse <= 5% in all, and the first second <= 5."""
    clock = Clock()
    server = RateLimiter(25.0, 5, clock=clock)
    throttle = Throttle(in_flight=64, clock=clock)
    start = clock.now
    sent = simulate(throttle, clock, server, 12.0)
    first_wave = [(at, ok) for at, ok in sent if at < start + 1.0]
    assert sum(not ok for _, ok in first_wave) <= server.burst  # a window of 16: 11
    assert refused_share(sent) <= 0.05
    assert admitted_rate(sent, start, start + 12.0) >= 0.85 * 25.0


def test_adapts_below_a_ceiling_set_too_high() -> None:
    """With a ceiling of 150/s against a 100/s server, the pace settles below 150/s."""
    clock = Clock()
    server = RateLimiter(100.0, 10, clock=clock)
    throttle = Throttle(150.0, burst=10, clock=clock)
    simulate(throttle, clock, server, 5.0)
    paces = []
    for _ in range(100):  # sampled over the next ten seconds
        simulate(throttle, clock, server, 0.1)
        paces.append(throttle.rate)
    assert all(p is not None and p < 150.0 for p in paces)
    assert sum(p or 0.0 for p in paces) / len(paces) < 125.0


def feed(throttle: Throttle, clock: Clock, rate: float, seconds: float) -> None:
    """``rate`` admitted answers per second for ``seconds``."""
    for _ in range(int(rate * seconds)):
        clock.now += 1.0 / rate
        throttle.success()


def test_a_wave_of_429s_is_one_decrease() -> None:
    """Fifty 429s for requests sent before the first was answered lower the pace once."""
    clock = Clock()
    throttle = Throttle(clock=clock)
    feed(throttle, clock, 100.0, 1.0)
    sent = clock.now - 0.01
    for _ in range(50):
        throttle.refused(sent, 1.0)
        clock.now += 0.001
    first = throttle.rate
    assert first is not None
    assert 85.0 <= first <= 95.0  # 0.9x the admitted rate, once (0.9**50 would be ~0.5)
    assert throttle.paused_until == 0.0  # a one-second Retry-After holds only its own call
    clock.now += 0.5
    throttle.refused(clock.now - 0.01, 1.0)  # sent after the decrease: a new event
    second = throttle.rate
    assert second is not None
    assert second < first


def test_a_429_sent_just_after_a_decrease_by_a_request_let_go_before_is_the_same_event() -> None:
    """A request let go before a decrease may be sent just after it: its 429 is no new event."""
    clock = Clock()
    throttle = Throttle(clock=clock)
    feed(throttle, clock, 100.0, 1.0)
    throttle.refused(clock.now - 0.01, 1.0)
    first = throttle.rate
    assert first is not None
    slot = 1.0 / first  # no request paced at the new rate leaves within its first slot
    clock.now += slot / 4
    throttle.refused(clock.now - slot / 8, 1.0)  # its task ran late: sent after the decrease
    assert throttle.rate == pytest.approx(first, rel=0.01)
    clock.now += slot
    throttle.refused(clock.now - 0.001, 1.0)  # sent in a slot of the new pace: a new event
    second = throttle.rate
    assert second is not None
    assert second < 0.8 * first


@pytest.mark.parametrize("admitted", [80.0, 30.0])
def test_the_level_refused_is_what_the_server_admitted_since_the_last_decrease(
    admitted: float,
) -> None:
    """Refused at a pace of ~92/s, the level is the rate admitted since, not below 0.8x the pace."""
    clock = Clock()
    throttle = Throttle(clock=clock)
    feed(throttle, clock, 100.0, 1.0)
    throttle.refused(clock.now - 0.01, 1.0)  # the level is 100/s: back to 90/s in a second
    feed(throttle, clock, admitted, 1.5)
    paced = throttle.rate
    assert paced is not None
    assert 90.0 <= paced <= 94.0
    throttle.refused(clock.now - 0.001, 1.0)
    # 80/s: the server's rate; 30/s: less than it could (its bucket sat full), hence a floor.
    assert throttle.rate == pytest.approx(0.85 * max(admitted, 0.8 * paced), rel=0.02)


def test_a_refusal_with_nothing_admitted_holds_the_session() -> None:
    """A 429 when nothing was admitted holds every request: Retry-After, else a backoff."""
    clock = Clock()
    throttle = Throttle(clock=clock)
    throttle.refused(clock.now, 0.4)
    assert throttle.paused_until == pytest.approx(clock.now + 0.4)
    assert throttle.delay() == pytest.approx(0.4)
    clock.now += 1.0
    throttle.refused(clock.now, None)
    assert throttle.paused_until > clock.now


def test_a_long_retry_after_holds_the_session() -> None:
    """A Retry-After beyond one second holds every request, even with answers admitted."""
    clock = Clock()
    throttle = Throttle(clock=clock)
    feed(throttle, clock, 50.0, 1.0)
    throttle.refused(clock.now - 0.01, 5.0)
    assert throttle.paused_until == pytest.approx(clock.now + 5.0)


def departures(throttle: Throttle, clock: Clock, count: int) -> list[float]:
    """When ``count`` queued requests leave (each answered at once)."""
    times: list[float] = []
    while len(times) < count:
        wait = throttle.delay()
        if wait:
            clock.now += wait
            continue
        throttle.depart()
        times.append(clock.now)
        throttle.release()
    return times


def test_release_after_a_pause_is_paced() -> None:
    """When a hold ends, waiters leave one slot apart, the first when the hold ends."""
    clock = Clock()
    throttle = Throttle(20.0, clock=clock)
    start = clock.now
    throttle.pause(1.0)
    times = departures(throttle, clock, 5)
    assert times[0] == pytest.approx(start + 1.0)  # its slot is taken after the pause
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == pytest.approx([0.05] * 4)


def test_release_after_a_pause_is_paced_at_the_adapted_rate() -> None:
    """After a decrease and a hold, waiters leave at the adapted pace, not all at once."""
    clock = Clock()
    throttle = Throttle(clock=clock)
    feed(throttle, clock, 100.0, 1.0)
    held = clock.now + 3.0
    throttle.refused(clock.now - 0.01, 3.0)  # a decrease, and a three-second hold
    times = departures(throttle, clock, 10)
    assert times[0] >= held
    span = times[-1] - times[0]
    assert span >= 8 / 100.0  # no faster than the admitted rate (one slot of catch-up)


def test_in_flight_opens_gradually_up_to_its_cap() -> None:
    """At most 2 requests await answers at first; each answer lets one more, up to the cap."""
    clock = Clock()
    throttle = Throttle(in_flight=20, clock=clock)
    for _ in range(2):
        assert throttle.idle()
        throttle.enter()
    assert not throttle.idle()
    assert throttle.delay() == math.inf
    for _ in range(2):  # each answer frees its place and opens one more
        throttle.release()
        throttle.success()
    for _ in range(4):  # a window of 4 now
        assert throttle.idle()
        throttle.enter()
    assert throttle.delay() == math.inf
    for _ in range(20):
        throttle.release()
        throttle.success()
        throttle.enter()
    for _ in range(16):  # 4 in flight, and a window of 20 now
        assert throttle.idle()
        throttle.enter()
    assert throttle.delay() == math.inf  # 20 in flight: the cap


def test_unlimited_throttle_is_idle() -> None:
    """With no ceiling and nothing refused, every request may go without an await."""
    throttle = Throttle()
    for _ in range(1000):
        assert throttle.idle()
        throttle.enter()
        throttle.release()
        throttle.success()
    assert throttle.rate is None
