"""Adaptive pacing, each scenario a table test on a virtual clock (``pacesim``).

Sessions made of the pure parts of a real one (pace model, spacing, window)
share FakeTaskade's own token bucket; no event loop, no wall-clock windows.
"""

from __future__ import annotations

import math

import pytest

from .pacesim import THIRTY_PERCENT_IDEAL, Client, World, soak, thirty_percent

R = 300.0
RTT5 = (0.005, 0.005)


def refused_share(world: World) -> float:
    """The share of all requests refused."""
    sent = [ok for c in world.clients for _, ok in c.sent]
    return sum(not ok for ok in sent) / len(sent)


def assert_budget_shared(world: World, start: float, end: float, *, fair: bool = True) -> None:
    """Between ``start`` and ``end`` the sessions took >= 0.85 R together (each >= 0.6x any
    other when ``fair``), <= 5% was refused, and none judged the refusals random."""
    rates = [c.admitted(start, end) for c in world.clients]
    assert sum(rates) >= 0.85 * R
    if fair:
        assert min(rates) >= 0.6 * max(rates), rates
    assert refused_share(world) <= 0.05
    assert all(c.model.noise == 0.0 for c in world.clients)


@pytest.mark.parametrize(
    ("ceiling", "retry_after"),
    [(None, True), (80.0, True), (150.0, True), (None, False)],
    ids=["no-ceiling", "ceiling-below", "ceiling-too-high", "no-retry-after"],
)
def test_settles_at_the_rate_the_server_admits(ceiling: float | None, retry_after: bool) -> None:
    """Against a 100/s bucket the goodput is >= 0.85x what is allowed, with <= 5% refused."""
    world = World(100.0, 10, [Client(ceiling=ceiling)], retry_after=retry_after)
    world.run(20.0)
    allowed = min(100.0, ceiling or math.inf)
    assert world.clients[0].admitted(2.0, 20.0) >= 0.85 * allowed
    assert refused_share(world) <= 0.05


@pytest.mark.parametrize(
    ("sessions", "gap"),
    [(2, 0.4), (2, 0.5), (2, 0.6), (2, 1.0), (4, 0.4), (4, 0.5), (4, 0.6)],
)
def test_sessions_sharing_one_budget_get_fair_shares(sessions: int, gap: float) -> None:
    """2 or 4 sessions on one 300/s bucket, started ``gap`` s apart: >= 0.85 R together,
    each >= 0.6x any other, <= 5% refused, and none takes the others' start for noise."""
    world = World(R, 30, [Client(start=gap * i) for i in range(sessions)])
    world.run(20.0)
    assert_budget_shared(world, 4.0, 20.0)


def test_slow_round_trips_are_not_taken_for_random_shedding() -> None:
    """4 sessions, answers 50-300 ms late: still fair and <= 5% refused (no false noise)."""
    world = World(R, 30, [Client(start=0.5 * i) for i in range(4)], rtt=(0.05, 0.3))
    world.run(20.0)
    assert_budget_shared(world, 5.0, 20.0)


def test_a_small_share_of_a_budget_is_not_taken_for_random_shedding() -> None:
    """A session that slowed (by under 2x) while the others took the budget is refused as
    much as before: not random shedding. Once all 4 took it for noise (22.8% refused)."""
    world = World(R, 30, [Client(start=0.5 * i) for i in range(4)], rtt=(0.05, 0.3), seed=25)
    world.run(20.0)
    assert_budget_shared(world, 5.0, 20.0, fair=False)


def test_sessions_started_together_stay_fair_in_the_long_run() -> None:
    """2 sessions started 0.1 s apart, over a minute: the last 20 s are shared within 0.6x,
    with <= 5% refused. Once both took the other's overshoot for noise and one starved."""
    world = World(R, 30, [Client(start=0.1 * i) for i in range(2)])
    world.run(60.0)
    assert_budget_shared(world, 40.0, 60.0)


def test_takes_what_another_consumer_leaves() -> None:
    """Another consumer spends half the budget, then stops: >= 0.85 of what is left in each half."""
    world = World(R, 30, [Client()], other=lambda t: R / 2 if t < 10.0 else 0.0)
    world.run(20.0)
    session = world.clients[0]
    assert session.admitted(3.0, 10.0) >= 0.85 * R / 2
    assert session.admitted(13.0, 20.0) >= 0.85 * R
    assert refused_share(world) <= 0.05


def test_follows_a_lowered_limit_down_and_back_up() -> None:
    """The limit drops to R/3 for 10 s and comes back: >= 0.8 of each phase after 3 s, <= 6%."""
    world = World(R, 30, [Client()], limit=lambda t: R / 3 if 5.0 <= t < 15.0 else R)
    world.run(25.0)
    session = world.clients[0]
    assert session.admitted(8.0, 15.0) >= 0.8 * R / 3
    assert session.admitted(18.0, 25.0) >= 0.8 * R
    assert refused_share(world) <= 0.06


@pytest.mark.parametrize(
    ("seed", "rtt"),
    [(1, RTT5), (3, RTT5), (4, RTT5), (5, RTT5), (8, RTT5), (5, (0.003, 0.008))],
)
def test_random_shedding_on_top_of_a_limit_does_not_collapse_the_pace(
    seed: int, rtt: tuple[float, float]
) -> None:
    """A bucket at R that also sheds 10% of what it admits: goodput >= 0.7 x 0.9 R. All
    but the first settled at 5-15% of it, until the bleed verdict."""
    world = World(R, 30, [Client()], shed=0.1, seed=seed, rtt=rtt)
    world.run(20.0)
    assert world.clients[0].admitted(3.0, 20.0) >= 0.7 * 0.9 * R


@pytest.mark.parametrize(("seed", "times"), [(1, 5), (2, 5), (3, 3), (5, 3), (8, 3), (9, 3)])
def test_thirty_percent_random_429s_do_not_collapse_the_pace(seed: int, times: int) -> None:
    """600 calls, 30% refused at random with Retry-After 1: done within ``times`` the ideal
    (not 80x; see ``THIRTY_PERCENT_IDEAL``). Seeds 3, 5, 8 and 9 took 3.1-3.3x while a
    noise verdict with no slow-down to take back restarted the pace's growth."""
    finished = thirty_percent(seed)
    assert finished is not None
    assert finished <= times * THIRTY_PERCENT_IDEAL


def test_a_slow_limit_refuses_little_once_settled() -> None:
    """Against 25/s (burst 5), 40 s unpaced: goodput >= 0.95 of it, and <= 7% refused."""
    world = World(25.0, 5, [Client()])
    world.run(40.0)
    assert world.clients[0].admitted(0.0, 40.0) >= 0.95 * 25.0
    assert refused_share(world) <= 0.07


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_few_retry_now_429s_cost_little(seed: int) -> None:
    """1,000 calls, 4% refused at random with Retry-After: 0: within 1.5x of none refused."""
    took = [soak(shed, seed) for shed in (0.0, 0.04)]
    clean, shed = took
    assert clean is not None
    assert shed is not None
    assert shed <= 1.5 * clean, took


def test_requests_reaching_the_server_late_still_meet_one_bucket() -> None:
    """With ``jitter`` (requests reach the server up to 3 ms late, out of order): every
    call is answered once, the bucket never admits beyond its rate and burst, and the
    sessions still take most of the budget."""
    world = World(100.0, 10, [Client(calls=400), Client(calls=400)], jitter=0.003)
    world.run(20.0)
    last = max(at for c in world.clients for at, _ in c.sent)
    admitted = sum(ok for c in world.clients for _, ok in c.sent)
    assert admitted == 800  # every call done, each admitted once
    assert all(c.window.active == 0 for c in world.clients)
    assert admitted <= 100.0 * (last + 0.003) + 10
    assert last <= 800 / 100.0 / 0.85
