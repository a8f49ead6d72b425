"""Calls in flight when the session closes, long holds, and the WARNING lines they leave."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

import taskade_async as tk

from .conftest import TOKEN, SessionFactory
from .server import Server, error, reply, sequence

GET = tk.Operation("projectGet", "GET", "/t/{id}")
POST = tk.Operation("taskCreate", "POST", "/t/{id}")
OK = reply(body={"ok": True, "item": {}})


async def test_closing_ends_calls_in_flight_with_a_typed_error(
    server: Server, make_session: SessionFactory
) -> None:
    """Closing with calls sent and queued ends each at once with SessionClosedError, typed."""
    server.route("GET", "/t/a", server.hang)
    s = make_session()
    await s.open()
    calls = [asyncio.create_task(s.request(GET, ("a",))) for _ in range(10)]
    await server.wait_for(2)  # two sent (the opening window), eight queued in the throttle
    started = time.monotonic()
    await s.close()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert time.monotonic() - started < 5.0  # at once, not at a deadline (300 s)
    assert all(isinstance(r, tk.SessionClosedError) for r in results), results
    assert all(isinstance(r, tk.TaskadeError) for r in results)
    sent = [r for r in results if isinstance(r, tk.SessionClosedError) and r.attempts]
    queued = [r for r in results if isinstance(r, tk.SessionClosedError) and not r.attempts]
    assert len(sent) == len(server.requests())
    assert all(r.may_have_applied for r in sent)  # it reached the server: it may have acted
    assert queued
    assert not any(r.may_have_applied for r in queued)


async def test_closing_ends_a_post_in_flight_saying_it_may_have_applied(
    server: Server, make_session: SessionFactory
) -> None:
    """A POST in flight at close says, in its error, it may have been applied."""
    server.route("POST", "/t/a", server.hang)
    async with make_session() as s:
        call = asyncio.create_task(s.request(POST, ("a",), json={}))
        await server.wait_for(1)
    with pytest.raises(tk.SessionClosedError, match="may have been applied") as info:
        await call
    assert info.value.attempts == 1
    assert info.value.may_have_applied


async def test_a_long_retry_after_fails_the_call_and_holds_the_session_as_allowed(
    server: Server, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Retry-After 86400: the call fails at once; the session holds max_retry_after, and says so."""
    day = error(429, "TOO_MANY_REQUESTS", "wait", headers={"Retry-After": "86400"})
    server.route("GET", "/t/a", sequence(day, OK))
    server.route("GET", "/t/b", OK)
    retry = tk.RetryPolicy(max_retry_after=3, base_backoff=0.01)
    caplog.set_level(logging.WARNING, logger="taskade_async")
    async with make_session(retry=retry) as s:
        started = time.monotonic()
        with pytest.raises(tk.RateLimitError) as info:
            await s.request(GET, ("a",))
        assert info.value.retry_after == 86400
        with pytest.raises(tk.RateLimitError, match="holds") as held:
            await s.request(GET, ("b",), deadline=1.0)  # ends before the hold does
        assert time.monotonic() - started < 1.0  # both at once
        assert held.value.retry_after is not None
        assert held.value.retry_after <= 3.0
        await s.request(GET, ("b",), deadline=10.0)  # outlasts the hold: waits, then goes
        assert time.monotonic() - started >= 2.9
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("holding the session 3.0 s" in line and "capped" in line for line in lines)
    assert len(server.requests("/t/b")) == 1


async def test_a_storm_of_429s_is_a_few_warning_lines_without_secrets(
    server: Server, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Fifty calls refused once each log a few WARNING lines, naming no token and no URL."""
    refused = error(429, "TOO_MANY_REQUESTS", "wait", headers={"Retry-After": "0"})
    handlers = [refused] * 50 + [OK] * 50
    server.route("GET", "/t/a", sequence(*handlers))
    caplog.set_level(logging.WARNING, logger="taskade_async")
    async with make_session() as s:
        await asyncio.gather(*(s.request(GET, ("a",)) for _ in range(50)))
    lines = [r.getMessage() for r in caplog.records if r.name == "taskade_async"]
    assert 1 <= len(lines) <= 4
    assert all(TOKEN not in line and "http" not in line for line in lines)


async def test_retries_are_logged_at_warning_rate_limited(
    server: Server, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Twenty 503s retried make one WARNING line, which says what failed."""
    unavailable = error(503, "UNAVAILABLE", "busy")
    server.route("GET", "/t/a", sequence(*([unavailable] * 20 + [OK] * 20)))
    caplog.set_level(logging.WARNING, logger="taskade_async")
    async with make_session() as s:
        await asyncio.gather(*(s.request(GET, ("a",)) for _ in range(20)))
    lines = [r.getMessage() for r in caplog.records if r.name == "taskade_async"]
    assert len(lines) == 1
    assert "status 503" in lines[0]


async def test_closing_ends_an_automation_trigger_in_flight_with_a_typed_error(
    server: Server, make_session: SessionFactory
) -> None:
    """A trigger_automation in flight at close ends like an API call: SessionClosedError,
    it may have applied, and the error names only the redacted URL."""
    server.route_abs("POST", "/webhooks/flow/s3cr3tw3bh00k", server.hang)
    url = str(server.url / "webhooks" / "flow" / "s3cr3tw3bh00k")
    async with make_session() as s:
        call = asyncio.create_task(tk.trigger_automation(s, url, {"a": "1"}))
        await server.wait_for(1)
    with pytest.raises(tk.SessionClosedError, match="may have been applied") as info:
        await call
    assert info.value.attempts == 1
    assert "s3cr3tw3bh00k" not in str(info.value)
