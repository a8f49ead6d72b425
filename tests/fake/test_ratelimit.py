"""FakeTaskade's limiter: a token bucket per token, Retry-After in whole seconds or none."""

from __future__ import annotations

from taskade_async.testing import FakeTaskade
from taskade_async.testing._ratelimit import RateLimiter

from .conftest import Api


def test_retry_after_is_whole_seconds_rounded_up() -> None:
    """A refusal's Retry-After is the wait for the next token, rounded up to a whole second."""
    now = [0.0]
    limiter = RateLimiter(0.4, 1, clock=lambda: now[0])
    assert limiter.check("a") is None
    assert limiter.check("a") == {"Retry-After": "3"}  # 2.5 s until a token
    now[0] = 2.4
    assert limiter.check("a") == {"Retry-After": "1"}  # 0.1 s: still one whole second
    assert (limiter.admitted, limiter.rejected) == (1, 2)


def test_refusals_can_come_without_retry_after() -> None:
    """With retry_after=False a refusal carries no Retry-After at all."""
    limiter = RateLimiter(1.0, 1, clock=lambda: 0.0, retry_after=False)
    assert limiter.check("a") is None
    assert limiter.check("a") == {}


async def test_fake_answers_429_without_retry_after(api: Api, taskade_fake: FakeTaskade) -> None:
    """set_rate_limit(..., retry_after=False) makes the fake answer 429 with no Retry-After."""
    taskade_fake.set_rate_limit(0.05, burst=1, retry_after=False)
    await api.ok("GET", "/workspaces")
    reply = await api.call("GET", "/workspaces")
    assert reply.status == 429
    assert "Retry-After" not in reply.headers
    assert taskade_fake.rate_limited == 1
