"""Retries: only safe ones, Retry-After obeyed, bounded, and one deadline per call."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

import taskade_async as tk
from taskade_async._retry import parse_retry_after

from .conftest import SessionFactory, acquired, record_waits
from .server import Handler, Server, error, reply, reset, reset_mid_body, sequence

GET = tk.Operation("taskGet", "GET", "/t/{id}")
PUT = tk.Operation("taskUpdate", "PUT", "/t/{id}")
DELETE = tk.Operation("taskDelete", "DELETE", "/t/{id}")
POST = tk.Operation("taskCreate", "POST", "/t/{id}")
PATCH = tk.Operation("taskPatch", "PATCH", "/t/{id}")
OK = reply(200, {"ok": True, "item": "done"})
UNAVAILABLE = error(503, "UNAVAILABLE", "try later")
LIMITED = error(429, "TOO_MANY_REQUESTS", "slow down", headers={"Retry-After": "0"})


@pytest.mark.parametrize("op", [GET, PUT, DELETE], ids=lambda op: op.method)
@pytest.mark.parametrize(
    "failure",
    [UNAVAILABLE, error(500, "E", "e"), error(502, "E", "e"), LIMITED, reset(), reset_mid_body()],
    ids=["503", "500", "502", "429", "reset", "reset-mid-body"],
)
async def test_idempotent_methods_are_retried(
    server: Server, make_session: SessionFactory, op: tk.Operation, failure: Handler
) -> None:
    """GET, PUT and DELETE are retried after 5xx, 429, and resets before or mid body."""
    server.route(op.method, "/t/a", sequence(failure, failure, OK))
    async with make_session() as s:
        assert (await s.request(op, ("a",)))["item"] == "done"
        assert acquired(s) == 0
    assert len(server.requests()) >= 3


@pytest.mark.parametrize("op", [POST, PATCH], ids=lambda op: op.method)
async def test_non_idempotent_retried_after_429(
    server: Server, make_session: SessionFactory, op: tk.Operation
) -> None:
    """POST and PATCH are retried after a 429: the server did not act."""
    server.route(op.method, "/t/a", sequence(LIMITED, OK))
    async with make_session() as s:
        await s.request(op, ("a",), json={"x": 1})
    assert len(server.requests()) == 2


@pytest.mark.parametrize("op", [POST, PATCH], ids=lambda op: op.method)
@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (UNAVAILABLE, tk.ServerError),
        (reset(), tk.TransportError),
        (reset_mid_body(), tk.TransportError),
    ],
    ids=["503", "reset", "reset-mid-body"],
)
async def test_non_idempotent_not_retried_when_server_may_have_acted(
    server: Server,
    make_session: SessionFactory,
    op: tk.Operation,
    failure: Handler,
    raised: type[Exception],
) -> None:
    """A POST or PATCH hit by a 503 or a reset (before or mid response) is sent once."""
    server.route(op.method, "/t/a", sequence(failure, OK))
    async with make_session() as s:
        with pytest.raises(raised):
            await s.request(op, ("a",), json={"x": 1})
        assert acquired(s) == 0
    assert len(server.requests()) == 1


async def test_post_retried_when_connect_fails(make_session: SessionFactory, dead_url: str) -> None:
    """A POST whose connection could not be opened is retried (nothing was sent)."""
    async with make_session(base_url=f"{dead_url}/api/v1") as s:
        with pytest.raises(tk.TransportError):
            await s.request(POST, ("a",), json={})
        assert s.stats.requests == 4  # max_attempts of the FAST policy


async def test_attempts_are_bounded(server: Server, make_session: SessionFactory) -> None:
    """A GET that keeps failing is tried max_attempts times, then the last error is raised."""
    server.route("GET", "/t/a", UNAVAILABLE)
    policy = tk.RetryPolicy(max_attempts=3, base_backoff=0.001, max_backoff=0.001)
    async with make_session(retry=policy) as s:
        with pytest.raises(tk.ServerError):
            await s.request(GET, ("a",))
    assert len(server.requests()) == 3


async def test_client_errors_are_not_retried(server: Server, make_session: SessionFactory) -> None:
    """400 to 404 are raised at once: retrying them never helps."""
    server.route("GET", "/t/a", error(404, "NOT_FOUND", "gone"))
    async with make_session() as s:
        with pytest.raises(tk.NotFoundError):
            await s.request(GET, ("a",))
    assert len(server.requests()) == 1


async def test_retry_after_seconds_is_obeyed(server: Server, make_session: SessionFactory) -> None:
    """The retry comes after a wait of Retry-After seconds after the 429."""
    slow = error(429, "TOO_MANY_REQUESTS", "wait", headers={"Retry-After": "0.3"})
    server.route("GET", "/t/a", sequence(slow, OK))
    async with make_session() as s:
        waits = record_waits(s)
        await s.request(GET, ("a",))
    assert waits == [0.3]
    assert len(server.requests()) == 2


async def test_retry_after_http_date_is_obeyed(
    server: Server, make_session: SessionFactory
) -> None:
    """A Retry-After given as an HTTP date two seconds ahead delays the retry past that date."""
    when = email.utils.formatdate(time.time() + 2, usegmt=True)  # 1 s resolution: 1..2 s
    slow = error(503, "UNAVAILABLE", "wait", headers={"Retry-After": when})
    server.route("GET", "/t/a", sequence(slow, OK))
    async with make_session() as s:
        waits = record_waits(s)
        await s.request(GET, ("a",))
    assert len(waits) == 1
    assert 0.9 <= waits[0] <= 2.0  # the date, less the time it took to get here
    assert len(server.requests()) == 2


@pytest.mark.parametrize(
    ("retry_after", "options"),
    [(3600, {"retry": tk.RetryPolicy(max_retry_after=60)}), (5, {"deadline": 2.0})],
    ids=["beyond-max_retry_after", "past-the-deadline"],
)
async def test_a_wait_out_of_bounds_raises_the_429_at_once(
    server: Server, make_session: SessionFactory, retry_after: int, options: dict[str, Any]
) -> None:
    """A Retry-After longer than max_retry_after, or ending past the call's deadline, raises the
    429 without waiting."""
    slow = error(429, "TOO_MANY_REQUESTS", "wait", headers={"Retry-After": str(retry_after)})
    server.route("GET", "/t/a", sequence(slow, OK))
    async with make_session(**options) as s:
        waits = record_waits(s)
        with pytest.raises(tk.RateLimitError) as info:
            await s.request(GET, ("a",))
    assert waits == []  # raised without waiting
    assert info.value.retry_after == retry_after
    assert len(server.requests()) == 1
    assert len(server.requests()) == 1


async def test_server_that_never_answers_ends_at_the_deadline(
    server: Server, make_session: SessionFactory
) -> None:
    """A call to a server that never answers raises RequestTimeoutError at its deadline."""
    server.route("GET", "/t/a", server.hang)
    async with make_session(deadline=0.3) as s:
        started = time.monotonic()
        with pytest.raises(tk.RequestTimeoutError) as info:
            await s.request(GET, ("a",))
        assert time.monotonic() - started >= 0.3  # not before its deadline
        assert acquired(s) == 0
    assert isinstance(info.value, TimeoutError)
    assert "no answer within the call's deadline (0.3 s)" in str(info.value)  # it, not another
    assert len(server.requests()) == 1


async def test_deadline_covers_every_attempt_and_backoff(
    server: Server, make_session: SessionFactory
) -> None:
    """Slow failures plus backoff cannot stretch a call past its one deadline."""

    async def slow_503(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.15)  # the server is slow, then fails
        return await UNAVAILABLE(request)

    server.route("GET", "/t/a", slow_503)
    policy = tk.RetryPolicy(max_attempts=50, base_backoff=0.05, max_backoff=0.05)
    async with make_session(retry=policy, deadline=0.5) as s:
        with pytest.raises((tk.RequestTimeoutError, tk.ServerError)):
            await s.request(GET, ("a",))
    # Each attempt takes 0.15 s: at most 4 fit in the 0.5 s, though 50 were allowed.
    assert 2 <= len(server.requests()) <= 4


async def test_per_call_deadline_overrides_the_session_default(
    server: Server, make_session: SessionFactory
) -> None:
    """request(deadline=...) bounds that call only."""
    server.route("GET", "/t/a", server.hang)
    async with make_session(deadline=60) as s:
        with pytest.raises(tk.RequestTimeoutError, match=r"deadline \(0.2 s\)"):
            await s.request(GET, ("a",), deadline=0.2)


async def test_429_pauses_the_whole_session(server: Server, make_session: SessionFactory) -> None:
    """After one call gets a 429 with Retry-After, other calls wait too before sending."""

    limited_once = error(429, "TOO_MANY_REQUESTS", "wait", headers={"Retry-After": "0.4"})
    server.route("GET", "/t/a", sequence(limited_once, OK))
    server.route("GET", "/t/b", OK)
    async with make_session() as s:
        first = asyncio.create_task(s.request(GET, ("a",)))
        await server.wait_for(1)
        while s.stats.rate_limited == 0:  # noqa: ASYNC110  # yield until the 429 is processed
            await asyncio.sleep(0)
        await s.request(GET, ("b",))
        await first
    limited, *others = server.requests()
    assert len(others) == 2
    for later in others:
        assert later.at - limited.at >= 0.4


async def test_one_shot_upload_is_never_resent(
    server: Server, make_session: SessionFactory
) -> None:
    """An async-iterable body is sent once, even after a 429 that would allow a retry."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b"part1-"
        yield b"part2"

    server.route("PUT", "/t/a", sequence(LIMITED, OK))
    async with make_session() as s:
        with pytest.raises(tk.RateLimitError):
            await s.request(PUT, ("a",), data=chunks(), content_type="text/plain")
    (sent,) = server.requests()
    assert sent.body == b"part1-part2"


async def test_replayable_upload_is_resent_whole(
    server: Server, make_session: SessionFactory
) -> None:
    """A bytes body is sent again, complete, on a retry."""
    server.route("PUT", "/t/a", sequence(UNAVAILABLE, OK))
    async with make_session() as s:
        await s.request(PUT, ("a",), data=b"payload", content_type="text/plain")
    assert [r.body for r in server.requests()] == [b"payload", b"payload"]


def test_backoff_is_exponential_with_bounded_jitter() -> None:
    """Each wait lies in [0, min(max_backoff, base * 2**(attempt-1))] and the spread is used."""
    policy = tk.RetryPolicy(base_backoff=0.5, max_backoff=4.0)
    for attempt in range(1, 10):
        ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
        waits = [policy.backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2  # jitter spreads over the range
        assert len(set(waits)) > 100


def test_backoff_uses_retry_after_when_given() -> None:
    """A server's Retry-After replaces the computed backoff."""
    assert tk.RetryPolicy().backoff(1, 12.5) == 12.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Retry-After parses delta-seconds and HTTP dates, and ignores junk."""
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert parse_retry_after(value, now=now) == expected


def test_policy_decisions() -> None:
    """The policy's pure decisions follow the idempotency rules."""
    p = tk.RetryPolicy(max_attempts=3)
    assert p.should_retry_status(503, idempotent=True, attempt=1)
    assert not p.should_retry_status(503, idempotent=False, attempt=1)
    assert p.should_retry_status(429, idempotent=False, attempt=2)
    assert not p.should_retry_status(429, idempotent=True, attempt=3)
    assert not p.should_retry_status(404, idempotent=True, attempt=1)
    assert p.should_retry_transport(idempotent=False, sent=False, attempt=1)
    assert not p.should_retry_transport(idempotent=False, sent=True, attempt=1)
    assert tk.RetryPolicy.never().max_attempts == 1


@contextlib.asynccontextmanager
async def _paused(
    server: Server, make_session: SessionFactory, retry_after: str
) -> AsyncIterator[tk.Session]:
    """A session without retries whose GET of ``/t/a`` was just answered 429 with this
    Retry-After (``/t/b`` answers OK)."""
    limited = error(429, "TOO_MANY_REQUESTS", "wait", headers={"Retry-After": retry_after})
    server.route("GET", "/t/a", limited)
    server.route("GET", "/t/b", OK)
    async with make_session(retry=tk.RetryPolicy.never()) as s:
        with pytest.raises(tk.RateLimitError):
            await s.request(GET, ("a",))
        yield s


async def test_unretried_429_still_pauses_the_session(
    server: Server, make_session: SessionFactory
) -> None:
    """A 429 raised at once (no retries) still holds the session's next calls for Retry-After."""
    async with _paused(server, make_session, retry_after="0.3") as s:
        await s.request(GET, ("b",))
    limited, later = server.requests()
    assert later.at - limited.at >= 0.3


async def test_call_that_cannot_outlast_a_pause_fails_at_once(
    server: Server, make_session: SessionFactory
) -> None:
    """While the session holds past a call's deadline, the call fails at once as a rate limit."""
    async with _paused(server, make_session, retry_after="5") as s:
        started = time.monotonic()
        with pytest.raises(tk.RateLimitError, match="holds") as caught:
            await s.request(GET, ("b",), deadline=1.0)
        assert time.monotonic() - started < 0.9  # at once, not when the deadline passes
    assert caught.value.retry_after is not None
    assert 3.0 < caught.value.retry_after <= 5.0
    assert len(server.requests("/t/b")) == 0
