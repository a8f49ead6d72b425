"""Retries you can count on: no hidden re-sends, every request counted, errors that say so."""

from __future__ import annotations

import aiohttp
import pytest

import taskade_async as tk
from taskade_async.api import workspaces
from taskade_async.testing import FakeTaskade

from .conftest import FAST, SessionFactory, acquired
from .server import Handler, Server, error, raw, redirect, reply, reset, reset_mid_body, sequence

GET = tk.Operation("taskGet", "GET", "/t/{id}")
PUT = tk.Operation("taskUpdate", "PUT", "/t/{id}")
POST = tk.Operation("taskCreate", "POST", "/t/{id}")
OK = reply(200, {"ok": True, "item": "done"})
NEVER = tk.RetryPolicy.never()
LIMITED = error(429, "TOO_MANY_REQUESTS", "slow down", headers={"Retry-After": "0"})
TRUNCATED = raw(200, b'{"ok": true, "item": "do', "application/json")
NOT_UTF8 = raw(200, b'{"ok": true, "item": "\xff"}', "application/json")
HTML_200 = raw(200, b"<html>captive portal</html>", "text/html")


async def test_never_means_never_on_a_reused_connection(
    server: Server, make_session: SessionFactory
) -> None:
    """A GET on a reused keep-alive connection that drops is not re-sent behind never()."""
    server.route("GET", "/t/a", sequence(OK, reset(), OK))
    async with make_session(retry=NEVER) as s:
        await s.request(GET, ("a",))  # leaves a keep-alive connection in the pool
        with pytest.raises(tk.TransportError) as info:
            await s.request(GET, ("a",))  # reuses it; the server drops it
        assert s.stats.requests == len(server.requests()) == 2
    assert info.value.attempts == 1


async def test_dropped_reused_connection_goes_through_the_policy(
    server: Server, make_session: SessionFactory
) -> None:
    """With retries, the re-send after a dropped keep-alive connection is ours: counted."""
    server.route("GET", "/t/a", sequence(OK, reset(), OK))
    async with make_session() as s:
        await s.request(GET, ("a",))
        await s.request(GET, ("a",))
        assert s.stats.requests == len(server.requests()) == 3
        assert s.stats.retries == 1


async def test_caller_session_does_not_resend_either(server: Server) -> None:
    """A caller's own ClientSession gets the same rule: one request per counted attempt."""
    server.route("GET", "/t/a", sequence(OK, reset(), OK))
    async with (
        aiohttp.ClientSession() as http,
        tk.Session("tskdp_x", base_url=server.base_url, http=http, retry=NEVER) as s,
    ):
        await s.request(GET, ("a",))
        with pytest.raises(tk.TransportError):
            await s.request(GET, ("a",))
    assert len(server.requests()) == 2


async def test_fake_reset_reaches_our_retry_code() -> None:
    """FakeTaskade's reset_next on a warm connection is retried by the session, and counted."""
    async with FakeTaskade() as fake:
        fake.add_workspace("w")
        async with tk.Session(fake.token, base_url=fake.base_url, retry=FAST) as s:
            await workspaces.list(s).collect()
            fake.reset_next(method="GET")
            assert len(await workspaces.list(s).collect()) == 1
            assert s.stats.retries == 1
            assert s.stats.requests == len(fake.requests) == 3
        async with tk.Session(fake.token, base_url=fake.base_url, retry=NEVER) as s:
            await workspaces.list(s).collect()
            fake.reset_next(method="GET")
            with pytest.raises(tk.TransportError):
                await workspaces.list(s).collect()


async def test_redirect_hops_are_counted(
    server: Server, other_server: Server, make_session: SessionFactory
) -> None:
    """A download redirected to storage counts both requests in stats."""
    download = tk.Operation("mediaDownload", "GET", "/m/{id}")
    server.route("GET", "/m/a", redirect(other_server.url.with_path("/bucket/f")))
    other_server.route_abs("GET", "/bucket/f", raw(200, b"data", "application/octet-stream"))
    async with make_session() as s:
        assert await (await s.request(download, ("a",), stream=True)).read() == b"data"
        assert s.stats.requests == len(server.requests()) + len(other_server.requests()) == 2


@pytest.mark.parametrize(
    ("answer", "raised", "match", "attempts"),
    [
        (error(503, "UNAVAILABLE", "try later"), tk.ServerError, r"\(4 attempts\)$", 4),
        (error(404, "NOT_FOUND", "gone"), tk.NotFoundError, r"gone \(1 attempt\)$", 1),
        (TRUNCATED, tk.ProtocolError, r"truncated.*\(4 attempts\)", 4),
    ],
    ids=["503-gives-up", "404-at-once", "garbled-200-gives-up"],
)
async def test_final_error_says_how_many_attempts(
    server: Server,
    make_session: SessionFactory,
    answer: Handler,
    raised: type[tk.TaskadeError],
    match: str,
    attempts: int,
) -> None:
    """The final error's attempts and message give the count: 1 at once, or the whole budget."""
    server.route("GET", "/t/a", answer)
    async with make_session() as s:
        with pytest.raises(raised, match=match) as info:
            await s.request(GET, ("a",))
    assert info.value.attempts == attempts == len(server.requests())


async def test_deadline_error_says_how_many_attempts(
    server: Server, make_session: SessionFactory
) -> None:
    """A call ended by its deadline says how many attempts it made."""
    server.route("GET", "/t/a", sequence(error(503, "E", "e"), server.hang))
    async with make_session() as s:
        with pytest.raises(tk.RequestTimeoutError, match=r"2 attempts") as info:
            await s.request(GET, ("a",), deadline=0.3)
    assert info.value.attempts == 2


async def test_connect_failure_cannot_have_been_applied(
    make_session: SessionFactory, dead_url: str
) -> None:
    """A POST whose connection could not be opened says it was not applied."""
    async with make_session(base_url=f"{dead_url}/api/v1", retry=NEVER) as s:
        with pytest.raises(tk.TransportError) as info:
            await s.request(POST, ("a",), json={})
    assert info.value.attempts == 1
    assert info.value.may_have_applied is False
    assert "may have been applied" not in str(info.value)


@pytest.mark.parametrize(
    "lost", [reset(), reset_mid_body()], ids=["reset-after-acting", "reset-mid-body"]
)
async def test_post_whose_answer_was_lost_may_have_been_applied(
    server: Server, make_session: SessionFactory, lost: Handler
) -> None:
    """A POST whose answer is lost raises TransportError that says it may have been applied."""
    server.route("POST", "/t/a", sequence(LIMITED, lost))
    async with make_session() as s:
        with pytest.raises(tk.TransportError, match="may have been applied") as info:
            await s.request(POST, ("a",), json={"x": 1})
    assert info.value.may_have_applied is True
    assert info.value.attempts == 2  # the 429 was retried, the lost answer was not


async def test_post_that_timed_out_after_sending_may_have_been_applied(
    server: Server, make_session: SessionFactory
) -> None:
    """A POST sent and then unanswered until the deadline may have been applied."""
    server.route("POST", "/t/a", server.hang)
    async with make_session() as s:
        with pytest.raises(tk.RequestTimeoutError, match="may have been applied") as info:
            await s.request(POST, ("a",), json={}, deadline=0.3)
    assert info.value.may_have_applied is True


async def test_get_reset_is_flagged_but_not_worded_as_unsafe(
    server: Server, make_session: SessionFactory
) -> None:
    """A GET's lost answer sets may_have_applied; its message needs no warning (safe to repeat)."""
    server.route("GET", "/t/a", reset())
    async with make_session(retry=NEVER) as s:
        with pytest.raises(tk.TransportError) as info:
            await s.request(GET, ("a",))
    assert info.value.may_have_applied is True
    assert "may have been applied" not in str(info.value)


@pytest.mark.usefixtures("decoder")
@pytest.mark.parametrize("op", [GET, PUT], ids=lambda op: op.method)
@pytest.mark.parametrize(
    "garbled", [TRUNCATED, NOT_UTF8, HTML_200], ids=["truncated", "not-utf8", "html"]
)
async def test_idempotent_call_with_garbled_200_is_retried(
    server: Server, make_session: SessionFactory, op: tk.Operation, garbled: Handler
) -> None:
    """A GET or PUT answered 200 with a body that is not JSON is retried within the budget."""
    server.route(op.method, "/t/a", sequence(garbled, OK))
    async with make_session() as s:
        assert (await s.request(op, ("a",)))["item"] == "done"
        assert acquired(s) == 0
        assert s.stats.retries == 1
    assert len(server.requests()) == 2


async def test_post_with_garbled_200_is_never_retried(
    server: Server, make_session: SessionFactory
) -> None:
    """A POST answered 200 with truncated JSON acted: it is raised, never sent again."""
    server.route("POST", "/t/a", sequence(TRUNCATED, OK))
    async with make_session() as s:
        with pytest.raises(tk.ProtocolError, match="truncated"):
            await s.request(POST, ("a",), json={})
    assert len(server.requests()) == 1


@pytest.mark.parametrize(
    "answer",
    [
        reply(200, {"ok": False, "code": "E", "message": "no"}),
        reply(200, ["not", "an", "object"]),
        raw(200, b"null", "application/json"),
    ],
    ids=["ok-false", "list", "null"],
)
async def test_well_formed_but_wrong_200_is_not_retried(
    server: Server, make_session: SessionFactory, answer: Handler
) -> None:
    """Valid JSON of the wrong shape is the server's answer: raised at once, not retried."""
    server.route("GET", "/t/a", sequence(answer, OK))
    async with make_session() as s:
        with pytest.raises(tk.ProtocolError):
            await s.request(GET, ("a",))
    assert len(server.requests()) == 1
