"""Session.with_options: a view with its own deadline, retry policy and headers."""

from __future__ import annotations

import asyncio

import pytest

import taskade_async as tk
from taskade_async.api import agents
from taskade_async.testing import FakeTaskade

from .conftest import FAST, SessionFactory
from .server import Server, error, reply

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")


async def test_a_view_shares_pool_throttle_auth_and_stats(
    server: Server, make_session: SessionFactory
) -> None:
    """A view sends through the session's pool, throttle and credentials; its stats are shared."""
    server.route("GET", "/projects/p", reply())
    async with make_session() as s:
        view = s.with_options(deadline=30)
        await view.request(GET, ("p",))
        assert view._client() is s._http
        assert view.throttle is s.throttle
        assert view._auth is s._auth
        assert s.stats.requests == 1
        assert view.stats.requests == 1
        async with view:
            pass  # a view closes nothing
        await s.request(GET, ("p",))
    assert len(server.requests()) == 2
    assert (
        server.requests()[0].headers["Authorization"]
        == server.requests()[1].headers["Authorization"]
    )


async def test_a_views_deadline_bounds_its_calls_only(
    server: Server, make_session: SessionFactory
) -> None:
    """The view's deadline ends its own calls; the session's calls keep the session's deadline."""
    server.route("GET", "/projects/slow", server.hang)
    server.route("GET", "/projects/p", reply())
    async with make_session(deadline=60) as s:
        with pytest.raises(tk.RequestTimeoutError, match=r"deadline \(0.2 s\)"):
            await s.with_options(deadline=0.2).request(GET, ("slow",))
        slow = asyncio.create_task(s.request(GET, ("slow",)))
        await s.with_options(deadline=0.2).request(GET, ("p",))
        await server.wait_for(3)
        assert not slow.done()  # still within the session's 60 s
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow


async def test_a_views_retry_policy_replaces_the_sessions(
    server: Server, make_session: SessionFactory
) -> None:
    """With retry=RetryPolicy(max_attempts=1) a 503 is raised at once; the session still retries."""
    server.route("GET", "/projects/p", error(503, "UNAVAILABLE", "busy"))
    async with make_session(retry=FAST) as s:
        with pytest.raises(tk.ServerError):
            await s.with_options(retry=tk.RetryPolicy(max_attempts=1)).request(GET, ("p",))
        assert len(server.requests()) == 1
        with pytest.raises(tk.ServerError):
            await s.request(GET, ("p",))
        assert len(server.requests()) == 1 + FAST.max_attempts


async def test_a_views_headers_are_sent_and_replace_the_sessions(
    server: Server, make_session: SessionFactory
) -> None:
    """A view's headers go out on its requests (a User-Agent replaces ours), not the session's."""
    server.route("GET", "/projects/p", reply())
    async with make_session() as s:
        view = s.with_options(headers={"X-Job": "nightly", "user-agent": "my-app/1"})
        await view.with_options(deadline=10).request(GET, ("p",))  # views of views keep them
        await s.request(GET, ("p",))
    tagged, plain = server.requests()
    assert tagged.headers["X-Job"] == "nightly"
    assert tagged.headers.getall("User-Agent") == ["my-app/1"]
    assert "X-Job" not in plain.headers
    assert plain.headers["User-Agent"].startswith("taskade-async/")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deadline": 0}, "deadline must be positive"),
        ({"deadline": float("inf")}, "finite"),
        ({"deadline": True}, "number of seconds"),
        ({"deadline": "5"}, "number of seconds"),
        ({"retry": 3}, "retry must be a RetryPolicy"),
        ({"headers": [("X-A", "b")]}, "headers must be a mapping"),
        ({"headers": {"Authorization": "Bearer other"}}, "set by the session"),
        ({"headers": {"content-type": "text/plain"}}, "set by the session"),
        ({"headers": {"X-A": "b\r\nX-Injected: 1"}}, "without CR, LF"),
        ({"headers": {"X A": "b"}}, "not a valid header name"),
        ({"headers": {"X-A": 1}}, "must be a str"),
    ],
)
def test_bad_options_are_refused_before_anything_is_sent(
    kwargs: dict[str, object], message: str
) -> None:
    """Each bad argument raises ValidationError naming what is wrong."""
    s = tk.Session("tskdp_x", base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(tk.ValidationError, match=message):
        s.with_options(**kwargs)  # type: ignore[arg-type]


def test_a_view_keeps_what_is_not_given() -> None:
    """Settings not given stay the session's; the view's repr names the session, not the token."""
    s = tk.Session("tskdp_SECRET", base_url="http://127.0.0.1:9/api/v1", deadline=42)
    view = s.with_options(headers={"X-A": "b"})
    assert view._deadline == 42
    assert view.retry is s.retry
    assert view.base_url == s.base_url
    assert "SECRET" not in repr(view)
    assert repr(s) in repr(view)


async def test_a_views_deadline_applies_to_the_llm_call_too(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """agents.prompt gets at least 120 s by default; a view's deadline is the caller's choice."""
    agent = taskade_fake.add_agent(taskade_fake.add_workspace("W"), "Helper")
    taskade_fake.delay_next(2)
    with pytest.raises(tk.RequestTimeoutError, match=r"deadline \(0.2 s\)"):
        await agents.prompt(
            taskade_session.with_options(deadline=0.2), agent.space_id, agent.id, prompt="hi"
        )
    taskade_fake.clear_faults()
    assert await agents.prompt(taskade_session, agent.space_id, agent.id, prompt="hello")
