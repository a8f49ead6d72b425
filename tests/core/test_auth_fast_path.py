"""The Auth fast path (``header_now``) and the typed ``Session.stats`` snapshot."""

from __future__ import annotations

import time

import attrs
import pytest
from yarl import URL

import taskade_async as tk
from taskade_async._auth import FormPoster

from .conftest import SessionFactory
from .server import Server, reply

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")


def test_a_bearer_token_is_always_ready() -> None:
    """BearerToken's header needs no I/O: header_now always has it."""
    assert tk.BearerToken("tskdp_x").header_now() == "Bearer tskdp_x"


def test_oauth2_has_its_header_ready_only_when_nothing_is_due() -> None:
    """OAuth2 gives its header without I/O unless a refresh is due (then None: await it)."""
    fresh = tk.OAuth2("at", refresh_token="rt", expires_at=time.time() + 3600)
    assert fresh.header_now() == "Bearer at"
    unknown = tk.OAuth2("at", refresh_token="rt")  # no expiry known: refreshed on a 401 only
    assert unknown.header_now() == "Bearer at"
    due = tk.OAuth2("at", refresh_token="rt", expires_at=time.time() + 30, refresh_margin=60)
    assert due.header_now() is None
    stuck = tk.OAuth2("at", expires_at=time.time() - 1)  # expired, nothing to refresh with
    assert stuck.header_now() == "Bearer at"  # as authorization() would send it


@attrs.define
class Awaited:
    """A custom Auth without header_now: the session awaits authorization every time."""

    calls: int = 0

    async def authorization(self, post_form: FormPoster) -> str:
        self.calls += 1
        return "Bearer tskdp_custom"

    async def unauthorized(self, post_form: FormPoster, sent: str) -> bool:
        return False


@attrs.define
class Ready(Awaited):
    """A custom Auth whose header is ready: authorization is never awaited."""

    def header_now(self) -> str | None:
        return "Bearer tskdp_ready"


@pytest.mark.parametrize(("auth", "awaited"), [(Awaited(), 2), (Ready(), 0)])
async def test_the_session_awaits_authorization_only_without_a_ready_header(
    server: Server, make_session: SessionFactory, auth: Awaited, awaited: int
) -> None:
    """Any Auth may offer header_now; the session awaits authorization() only on its absence."""
    server.route("GET", "/projects/p", reply(200, {"ok": True, "item": "p"}))
    async with make_session(auth=auth) as s:
        await s.request(GET, ("p",))
        await s.request(GET, ("p",))
    assert auth.calls == awaited
    sent = {r.headers["Authorization"] for r in server.requests()}
    assert sent == {"Bearer tskdp_ready" if awaited == 0 else "Bearer tskdp_custom"}


async def test_stats_is_a_frozen_snapshot(server: Server, make_session: SessionFactory) -> None:
    """Session.stats is a SessionStats taken when read: later calls do not change it."""
    server.route("GET", "/projects/p", reply(200, {"ok": True, "item": "p"}))
    async with make_session() as s:
        before = s.stats
        await s.request(GET, ("p",))
        after = s.stats
    assert isinstance(after, tk.SessionStats)
    assert before == tk.SessionStats(requests=0, retries=0, rate_limited=0)
    assert after == tk.SessionStats(requests=1, retries=0, rate_limited=0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        after.requests = 5  # type: ignore[misc]


def test_the_token_url_of_an_auth_is_checked() -> None:
    """An Auth's token_url gets the base URL's https rule before anything is sent."""
    with pytest.raises(tk.ValidationError, match="token_url"):
        tk.Session(auth=tk.OAuth2("at", token_url=URL("http://example.com/token")))
