"""OAuth2: refresh before expiry and on 401, single-flight, rotation, PKCE, code exchange."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time

import pytest

import taskade_async as tk

from .conftest import SessionFactory
from .server import Server, TokenEndpoint, error, raw, reply

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")


def oauth(token_url: object, **kwargs: object) -> tk.OAuth2:
    """An OAuth2 whose first access token is stale (the server knows only at-0)."""
    kwargs.setdefault("access_token", "at-stale")
    kwargs.setdefault("refresh_token", "rt-0")
    return tk.OAuth2(token_url=token_url, client_id="app", **kwargs)  # type: ignore[arg-type]  # test helper forwards keywords


@pytest.fixture
def endpoint(server: Server) -> TokenEndpoint:
    """A token endpoint on the test server guarding /projects/p."""
    tokens = TokenEndpoint()
    server.route("GET", "/projects/p", tokens.guard(reply(200, {"ok": True, "item": "p"})))
    return tokens


async def test_refresh_shortly_before_expiry(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """A token within refresh_margin of expiry is refreshed before the request is sent."""
    url = endpoint.install(server)
    auth = oauth(url, expires_at=time.time() + 30, refresh_margin=60)
    async with make_session(auth=auth) as s:
        await s.request(GET, ("p",))
    assert endpoint.refreshes == 1
    api = server.requests("/projects/p")
    assert [r.headers["Authorization"] for r in api] == ["Bearer at-1"]
    assert auth.refresh_token == "rt-1"
    assert auth.expires_at is not None
    assert auth.expires_at > time.time() + 3000
    form = endpoint.forms[0]
    assert form == {"grant_type": "refresh_token", "refresh_token": "rt-0", "client_id": "app"}
    (token_request,) = [r for r in server.requests() if r.path == "/oauth2/token"]
    assert "Authorization" not in token_request.headers


async def test_refresh_on_401_then_retry_once(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """A 401 with a token of unknown expiry triggers a refresh and one retry."""
    auth = oauth(endpoint.install(server))
    async with make_session(auth=auth) as s:
        assert (await s.request(GET, ("p",)))["item"] == "p"
    api = server.requests("/projects/p")
    assert [r.headers["Authorization"] for r in api] == ["Bearer at-stale", "Bearer at-1"]
    assert endpoint.refreshes == 1


@pytest.mark.parametrize("expiry", ["known", "found-by-401"])
async def test_100_concurrent_expired_requests_refresh_once(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint, expiry: str
) -> None:
    """100 concurrent requests with an expired token cause exactly one refresh call."""
    expires_at = time.time() - 10 if expiry == "known" else None
    auth = oauth(endpoint.install(server), expires_at=expires_at)
    async with make_session(auth=auth, max_connections=100) as s:
        results = await asyncio.gather(*(s.request(GET, ("p",)) for _ in range(100)))
    assert all(r["item"] == "p" for r in results)
    assert endpoint.refreshes == 1
    assert auth.refresh_count == 1
    api = server.requests("/projects/p")
    assert 100 <= len(api) <= 200  # each request retried at most once
    print(
        f"\n[measure] 100 concurrent expired-token requests ({expiry}): "
        f"{endpoint.refreshes} refresh call(s), {len(api)} API requests"
    )


async def test_each_request_retried_at_most_once_after_refresh(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """When the new token is refused too, the 401 is raised: no second refresh, no loop."""
    server.route("GET", "/projects/q", lambda request: reply(401, {"ok": False})(request))
    auth = oauth(endpoint.install(server))
    async with make_session(auth=auth) as s:
        with pytest.raises(tk.UnauthorizedError):
            await s.request(GET, ("q",))
    assert len(server.requests("/projects/q")) == 2
    assert endpoint.refreshes == 1


async def test_failed_refresh_raises_once_without_loop(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """A refused refresh raises AuthenticationError for every waiter after one token call."""
    endpoint.fail = True
    auth = oauth(endpoint.install(server))
    async with make_session(auth=auth) as s:
        outcomes = await asyncio.gather(
            *(s.request(GET, ("p",)) for _ in range(10)), return_exceptions=True
        )
        assert all(isinstance(o, tk.AuthenticationError) for o in outcomes)
        assert all("refreshing the OAuth2 token failed" in str(o) for o in outcomes)
        with pytest.raises(tk.AuthenticationError):
            await s.request(GET, ("p",))  # a later call does not hammer the endpoint either
    assert endpoint.refreshes == 1
    # Each sent once at most: calls still queued behind the opening window when the
    # refresh failed raise before they are sent.
    assert 1 <= len(server.requests("/projects/p")) <= 11


async def test_unreachable_token_endpoint_is_authentication_error(
    make_session: SessionFactory, server: Server, endpoint: TokenEndpoint, dead_url: str
) -> None:
    """A token endpoint that cannot be reached raises AuthenticationError."""
    auth = oauth(f"{dead_url}/oauth2/token", expires_at=time.time() - 1)
    async with make_session(auth=auth) as s:
        with pytest.raises(tk.AuthenticationError, match="unreachable"):
            await s.request(GET, ("p",))


async def test_no_refresh_token_means_401_is_raised(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """Without a refresh token a 401 is raised as it is."""
    auth = tk.OAuth2("at-stale")
    async with make_session(auth=auth) as s:
        with pytest.raises(tk.UnauthorizedError):
            await s.request(GET, ("p",))
    assert endpoint.refreshes == 0


async def test_on_tokens_gets_rotated_tokens_before_they_are_used(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """The awaited callback receives the new tokens before any request sends them."""
    saved: list[tuple[tk.TokenSet, float]] = []

    async def save(tokens: tk.TokenSet) -> None:
        await asyncio.sleep(0.05)  # a slow store: other requests must not overtake it
        saved.append((tokens, time.monotonic()))

    auth = oauth(endpoint.install(server), on_tokens=save)
    async with make_session(auth=auth) as s:
        await asyncio.gather(*(s.request(GET, ("p",)) for _ in range(20)))
    ((tokens, saved_at),) = saved
    assert (tokens.access_token, tokens.refresh_token) == ("at-1", "rt-1")
    used = [
        r.at for r in server.requests("/projects/p") if r.headers["Authorization"] == "Bearer at-1"
    ]
    assert len(used) >= 20
    assert min(used) >= saved_at


async def test_failing_on_tokens_keeps_the_new_tokens_and_retries_the_save(
    server: Server,
    make_session: SessionFactory,
    endpoint: TokenEndpoint,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """If saving fails, the new tokens stay in use, an ERROR is logged, and the save is retried."""
    calls: list[str | None] = []

    async def flaky(tokens: tk.TokenSet) -> None:
        calls.append(tokens.refresh_token)
        if len(calls) <= 2:
            raise OSError(f"disk full while writing {tokens.refresh_token}")

    auth = oauth(endpoint.install(server), on_tokens=flaky)
    caplog.set_level(logging.ERROR, logger="taskade_async")
    async with make_session(auth=auth) as s:
        # Refresh on the 401 (save fails), then the retried attempt saves again (fails too).
        await s.request(GET, ("p",))
        assert auth.refresh_token == "rt-1"
        assert calls == ["rt-1", "rt-1"]
        await s.request(GET, ("p",))  # saved at last
        await s.request(GET, ("p",))  # nothing left to save
    assert calls == ["rt-1"] * 3
    assert endpoint.refreshes == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all("OSError: disk full" in line and "called again" in line for line in errors)
    assert not any("rt-1" in line or "at-1" in line for line in errors)


async def test_a_newer_refresh_supersedes_an_unsaved_one(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """Once newer tokens are saved, the older unsaved ones are never handed to on_tokens again."""
    calls: list[str | None] = []

    async def refuses_rt1(tokens: tk.TokenSet) -> None:
        calls.append(tokens.refresh_token)
        if tokens.refresh_token == "rt-1":
            raise OSError("disk full")

    auth = oauth(endpoint.install(server), on_tokens=refuses_rt1)
    async with make_session(auth=auth) as s:
        await s.request(GET, ("p",))
        endpoint.access = "at-revoked"  # the server drops at-1: the next call refreshes again
        await s.request(GET, ("p",))
        await s.request(GET, ("p",))
    assert calls == ["rt-1", "rt-1", "rt-1", "rt-2"]
    assert auth.refresh_token == "rt-2"


async def test_endless_token_answer_is_an_authentication_error(
    server: Server, make_session: SessionFactory
) -> None:
    """A token endpoint answering more than 64 KiB fails the refresh; it is not read whole."""
    big = json.dumps({"access_token": "a" * 100_000}).encode()
    token_url = server.url.with_path("/oauth2/token")
    server.route_abs("POST", "/oauth2/token", raw(200, big, "application/json"))
    server.route("GET", "/projects/p", error(401, "UNAUTHORIZED", "expired"))
    async with make_session(auth=oauth(token_url)) as s:
        with pytest.raises(tk.AuthenticationError, match="more than 65536 bytes"):
            await s.request(GET, ("p",))


async def test_refresh_is_logged_at_debug_without_secrets(
    server: Server,
    make_session: SessionFactory,
    endpoint: TokenEndpoint,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each refresh logs a DEBUG line naming the token host, never a token or secret."""
    auth = oauth(endpoint.install(server), client_secret="s3cr3t-value")
    caplog.set_level(logging.DEBUG, logger="taskade_async")
    async with make_session(auth=auth) as s:
        await s.request(GET, ("p",))
    lines = [r.getMessage() for r in caplog.records if r.name == "taskade_async"]
    assert any(
        line.startswith("OAuth2: refreshing the access token at 127.0.0.1") for line in lines
    )
    assert any("refreshed" in line and "rotated" in line for line in lines)
    text = "\n".join(lines)
    for secret in ("rt-0", "rt-1", "at-1", "at-stale", "s3cr3t-value"):
        assert secret not in text


def test_pkce_authorization_request() -> None:
    """The authorize URL carries an S256 challenge of the verifier, the state and the scope."""
    req = tk.authorization_request(
        "app",
        "http://127.0.0.1/cb",
        scope="read write",
        authorize_url="https://a.test/oauth2/authorize",
    )
    q = req.url.query
    digest = hashlib.sha256(req.code_verifier.encode()).digest()
    assert q["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert q["code_challenge_method"] == "S256"
    assert (q["response_type"], q["client_id"], q["redirect_uri"]) == (
        "code",
        "app",
        "http://127.0.0.1/cb",
    )
    assert q["scope"] == "read write"
    assert q["state"] == req.state
    assert len(req.state) >= 20
    assert 43 <= len(req.code_verifier) <= 128
    assert req.url.host == "a.test"
    assert req.url.path == "/oauth2/authorize"
    assert req.code_verifier not in repr(req)
    other = tk.authorization_request("app", "http://127.0.0.1/cb", state="mine")
    assert other.state == "mine"
    assert other.code_verifier != req.code_verifier
    assert str(other.url).startswith(str(tk._auth.DEFAULT_AUTHORIZE_URL))


async def test_exchange_code(server: Server) -> None:
    """exchange_code posts the code and verifier and returns the token set."""
    endpoint = TokenEndpoint()
    url = endpoint.install(server)
    endpoint.codes["c0de"] = "challenge"
    tokens = await tk.exchange_code(
        "c0de",
        code_verifier="v" * 50,
        redirect_uri="http://127.0.0.1/cb",
        client_id="app",
        token_url=url,
    )
    assert (tokens.access_token, tokens.refresh_token) == ("at-0", "rt-0")
    assert tokens.expires_at is not None
    assert endpoint.forms == [
        {
            "grant_type": "authorization_code",
            "code": "c0de",
            "code_verifier": "v" * 50,
            "redirect_uri": "http://127.0.0.1/cb",
            "client_id": "app",
        }
    ]
    with pytest.raises(tk.AuthenticationError, match="answered 400: unsupported_grant_type"):
        await tk.exchange_code(
            "wrong", code_verifier="v" * 50, redirect_uri="x", client_id="app", token_url=url
        )


async def test_refresh_survives_the_caller_timing_out(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """A caller whose deadline passes mid-refresh does not abort it: the rotated tokens are kept."""
    endpoint.gate = asyncio.Event()
    saved: list[str | None] = []

    async def save(tokens: tk.TokenSet) -> None:
        saved.append(tokens.refresh_token)

    auth = oauth(endpoint.install(server), expires_at=time.time() - 1, on_tokens=save)
    async with make_session(auth=auth) as s:
        with pytest.raises(tk.RequestTimeoutError):
            await s.request(GET, ("p",), deadline=0.2)
        assert endpoint.refreshes == 1
        endpoint.gate.set()
        assert (await s.request(GET, ("p",)))["item"] == "p"
    assert saved == ["rt-1"]
    assert auth.refresh_token == "rt-1"
    assert endpoint.refreshes == 1
    assert [r.headers["Authorization"] for r in server.requests("/projects/p")] == ["Bearer at-1"]


async def test_exchange_code_refuses_plain_http_off_loopback() -> None:
    """The code and verifier are never posted to a plain-http token endpoint off loopback."""
    with pytest.raises(tk.ValidationError, match="token_url"):
        await tk.exchange_code(
            "c",
            code_verifier="v" * 50,
            redirect_uri="x",
            client_id="a",
            token_url="http://a.test/t",
        )


async def test_confidential_client_sends_its_secret_to_the_token_endpoint_only(
    server: Server, make_session: SessionFactory, endpoint: TokenEndpoint
) -> None:
    """client_secret goes in the refresh form, never in an API request."""
    auth = oauth(endpoint.install(server), client_secret="cs-SECRET")
    async with make_session(auth=auth) as s:
        await s.request(GET, ("p",))
    assert endpoint.forms[0]["client_secret"] == "cs-SECRET"
    for sent in server.requests("/projects/p"):
        assert "cs-SECRET" not in str(sent.headers)
        assert b"cs-SECRET" not in sent.body


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [(3600, 4600.0), ("3600", 4600.0), (None, None), ("soon", None), (-5, None), (True, None)],
)
def test_token_response_expiry(expires_in: object, expected: float | None) -> None:
    """expires_in is read as seconds from now, number or numeric string; junk means unknown."""
    body = {"access_token": "a", "refresh_token": "r", "expires_in": expires_in}
    tokens = tk._auth.parse_token_response(200, json.dumps(body).encode(), now=1000.0)
    assert tokens.expires_at == expected


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (400, b'{"error": "invalid_grant", "error_description": "revoked"}', "400: revoked"),
        (200, b'{"token_type": "Bearer"}', "200"),
        (502, b"<html>", "502"),
        (200, b"[" * 60_000, "200"),
        (200, b'{"access_token": "\xff"}', "200"),
    ],
)
def test_token_response_errors(status: int, body: bytes, reason: str) -> None:
    """A refused, incomplete, non-JSON, too deep or non-UTF-8 answer raises AuthenticationError."""
    with pytest.raises(tk.AuthenticationError, match=reason):
        tk._auth.parse_token_response(status, body)
