"""Errors: each status maps to its class; odd bodies are protocol errors; no token leaks."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

import taskade_async as tk

from .conftest import TOKEN, SessionFactory
from .server import Server, error, raw, reply, sequence

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "BAD_REQUEST", tk.BadRequestError),
        (401, "UNAUTHORIZED", tk.UnauthorizedError),
        (402, "PAYMENT_REQUIRED", tk.PaymentRequiredError),
        (403, "FORBIDDEN", tk.ForbiddenError),
        (404, "NOT_FOUND", tk.NotFoundError),
        (409, "CONFLICT", tk.ConflictError),
        (429, "TOO_MANY_REQUESTS", tk.RateLimitError),
        (500, "INTERNAL", tk.ServerError),
        (503, "UNAVAILABLE", tk.ServerError),
        (418, "TEAPOT", tk.APIError),
    ],
)
async def test_status_maps_to_error_class(
    server: Server, make_session: SessionFactory, status: int, code: str, cls: type[tk.APIError]
) -> None:
    """Each error status raises its class carrying status, code, messages, method and URL."""
    server.route("GET", "/projects/p", error(status, code, "it went wrong"))
    async with make_session(retry=tk.RetryPolicy.never()) as s:
        with pytest.raises(cls) as info:
            await s.request(GET, ("p",))
    exc = info.value
    assert type(exc) is cls
    assert isinstance(exc, tk.TaskadeError)
    assert (exc.status, exc.code, exc.message) == (status, code, "it went wrong")
    assert exc.status_message == f"{status} {code}"
    assert exc.method == "GET"
    assert exc.url == str(server.base_url / "projects" / "p")
    assert f"-> {status} {code}: it went wrong" in str(exc)


async def test_rate_limit_error_carries_retry_after(
    server: Server, make_session: SessionFactory
) -> None:
    """A 429 that is not retried exposes the server's Retry-After in seconds."""
    server.route(
        "GET", "/projects/p", error(429, "TOO_MANY_REQUESTS", "slow", headers={"Retry-After": "7"})
    )
    async with make_session(retry=tk.RetryPolicy.never()) as s:
        with pytest.raises(tk.RateLimitError) as info:
            await s.request(GET, ("p",))
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize(
    ("status", "body", "content_type", "cls"),
    [
        (502, b"<html>Bad gateway</html>", "text/html", tk.ServerError),
        (404, b'{"ok": false, "code": "NOT_FO', "application/json", tk.NotFoundError),
        (503, b"", "text/plain", tk.ServerError),
        (429, b"slow down", "text/plain", tk.RateLimitError),
    ],
)
async def test_malformed_error_body_is_protocol_error_and_status_error(
    server: Server,
    make_session: SessionFactory,
    status: int,
    body: bytes,
    content_type: str,
    cls: type[tk.APIError],
) -> None:
    """An HTML, truncated or empty error body is a ProtocolError and its status class."""
    server.route("GET", "/projects/p", raw(status, body, content_type))
    async with make_session(retry=tk.RetryPolicy.never()) as s:
        with pytest.raises(tk.ProtocolError) as info:
            await s.request(GET, ("p",))
    exc: BaseException = info.value  # both a ProtocolError and an APIError
    assert isinstance(exc, cls)
    assert isinstance(exc, tk.APIError)
    assert exc.status == status
    assert exc.code is None
    assert exc.body_excerpt == body.decode()
    assert exc.method == "GET"
    assert exc.url.endswith("/api/v1/projects/p")
    assert "not the documented JSON error" in str(exc)


async def test_malformed_5xx_is_still_retried(server: Server, make_session: SessionFactory) -> None:
    """A proxy's HTML 502 is retried like any 502 for an idempotent call."""
    server.route(
        "GET",
        "/projects/p",
        sequence(raw(502, b"<html>Bad gateway</html>", "text/html"), reply()),
    )
    async with make_session() as s:
        assert await s.request(GET, ("p",)) == {"ok": True}


@pytest.mark.usefixtures("decoder")
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>Welcome</body></html>", "text/html"),
        (b'{"ok": true, "item": {"id": "x"', "application/json"),
        (b"[1, 2]", "application/json"),
        (b"", "application/json"),
    ],
)
async def test_success_with_undocumented_body_is_protocol_error(
    server: Server, make_session: SessionFactory, body: bytes, content_type: str
) -> None:
    """A 200 whose body is HTML, truncated JSON, not an object or empty raises ProtocolError."""
    server.route("GET", "/projects/p", raw(200, body, content_type))
    async with make_session() as s:
        with pytest.raises(tk.ProtocolError) as info:
            await s.request(GET, ("p",))
    assert info.value.status == 200
    assert info.value.body_excerpt == body[:200].decode()


async def test_ok_false_on_200_is_protocol_error(
    server: Server, make_session: SessionFactory
) -> None:
    """A 200 with ok:false raises ProtocolError naming the code it carried."""
    server.route("GET", "/projects/p", reply(200, {"ok": False, "code": "ODD", "message": "hm"}))
    async with make_session() as s:
        with pytest.raises(tk.ProtocolError, match="ODD"):
            await s.request(GET, ("p",))


async def test_token_never_in_error_session_or_auth_text(
    server: Server, make_session: SessionFactory
) -> None:
    """str() and repr() of errors, sessions and credentials never show the token."""
    server.route("GET", "/projects/p", error(401, "UNAUTHORIZED", "bad token"))
    oauth = tk.OAuth2(TOKEN, refresh_token="rt-SECRET-refresh", client_secret="cs-SECRET")
    texts = [repr(oauth), str(oauth), repr(tk.BearerToken(TOKEN))]
    async with make_session() as s:
        texts += [repr(s), str(s)]
        with pytest.raises(tk.UnauthorizedError) as info:
            await s.request(GET, ("p",))
    texts += [str(info.value), repr(info.value), repr(info.value.__dict__)]
    tokens = tk.TokenSet(access_token=TOKEN, refresh_token="rt-SECRET-refresh", expires_at=None)
    texts += [repr(tokens), str(tokens)]
    for text in texts:
        assert "SECRET" not in text, text


async def test_connection_refused_is_transport_error(
    make_session: SessionFactory, dead_url: str
) -> None:
    """A base URL where nothing listens raises TransportError, not an aiohttp error."""
    async with make_session(base_url=f"{dead_url}/api/v1") as s:
        with pytest.raises(tk.TransportError) as info:
            await s.request(GET, ("p",))
    assert info.value.method == "GET"
    assert info.value.url == f"{dead_url}/api/v1/projects/p"


async def test_large_error_body_sent_in_pieces_is_read_whole(
    server: Server, make_session: SessionFactory
) -> None:
    """An error body that arrives in several network writes is decoded whole."""
    message = "x" * 20_000

    async def slow_body(request: web.Request) -> web.StreamResponse:
        body = json.dumps({"ok": False, "code": "BAD_REQUEST", "message": message}).encode()
        response = web.StreamResponse(status=400, headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        await response.prepare(request)
        for start in range(0, len(body), 1000):
            await response.write(body[start : start + 1000])
            await asyncio.sleep(0)  # separate writes on the wire
        return response

    server.route("GET", "/projects/p", slow_body)
    async with make_session() as s:
        with pytest.raises(tk.BadRequestError) as info:
            await s.request(GET, ("p",))
    assert info.value.message == message
