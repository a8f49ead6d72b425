"""A programmable aiohttp.web server on loopback, for the foundation's tests.

Each test registers handlers per ``(method, encoded path)``; the server records
every request it receives (with the monotonic time it arrived) so tests can
measure what the client sent, how often and when.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import attrs
from aiohttp import web
from multidict import CIMultiDictProxy
from yarl import URL

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@attrs.frozen
class Received:
    """One request as the server saw it."""

    method: str
    path: str  # still percent-encoded
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes
    at: float  # time.monotonic() on arrival


def reply(status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None) -> Handler:
    """A handler answering JSON ``body`` (``{"ok": true}`` by default) with ``status``."""
    payload = {"ok": True} if body is None else body

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(payload, status=status, headers=headers)

    return handler


def error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> Handler:
    """A handler answering an error in the API's documented shape."""
    body = {"ok": False, "code": code, "message": message, "statusMessage": f"{status} {code}"}
    return reply(status, body, headers=headers)


def raw(
    status: int, body: bytes, content_type: str, *, headers: dict[str, str] | None = None
) -> Handler:
    """A handler answering ``body`` as it is."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body, content_type=content_type, headers=headers)

    return handler


def redirect(
    location: URL | str, kind: Callable[[URL | str], web.HTTPException] = web.HTTPFound
) -> Handler:
    """A handler answering a redirect (302 Found by default) to ``location``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        raise kind(location)

    return handler


def reset() -> Handler:
    """A handler that drops the connection before answering anything."""

    async def handler(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        raise web.HTTPInternalServerError  # never reaches the client: the socket is gone

    return handler


def reset_mid_body(status: int = 200, first: bytes = b'{"ok": true, "ite') -> Handler:
    """A handler that sends the headers and part of the body, then drops the connection."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            status=status, headers={"Content-Type": "application/json", "Content-Length": "4096"}
        )
        await response.prepare(request)
        await response.write(first)
        assert request.transport is not None
        request.transport.abort()
        return response

    return handler


def sequence(*handlers: Handler) -> Handler:
    """A handler that answers with each of ``handlers`` in turn, repeating the last."""
    chain = itertools.chain(handlers, itertools.repeat(handlers[-1]))

    async def handler(request: web.Request) -> web.StreamResponse:
        return await next(chain)(request)

    return handler


class Server:
    """An aiohttp.web app on 127.0.0.1 (port 0) with per-test handlers."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.received: list[Received] = []
        self.in_flight = 0
        self.max_in_flight = 0
        #: Set when the server stops: handlers that hang wait on it.
        self.stopping = asyncio.Event()
        self._arrival = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
        self.url = URL()

    @property
    def base_url(self) -> URL:
        """The API base URL a Session should use."""
        return self.url / "api" / "v1"

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path`` (encoded path, relative to the base URL) with ``handler``."""
        self.handlers[(method, "/api/v1" + path)] = handler

    def route_abs(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path`` (an absolute encoded path) with ``handler``."""
        self.handlers[(method, path)] = handler

    def requests(self, path: str | None = None) -> list[Received]:
        """Requests received (for ``path`` relative to the base URL, if given)."""
        if path is None:
            return list(self.received)
        return [r for r in self.received if r.path == "/api/v1" + path]

    async def wait_for(self, count: int) -> None:
        """Wait until ``count`` requests have arrived."""
        async with self._arrival:
            await self._arrival.wait_for(lambda: len(self.received) >= count)

    async def hang(self, request: web.Request) -> web.StreamResponse:
        """A handler that never answers (until the server stops)."""
        await self.stopping.wait()
        raise web.HTTPServiceUnavailable

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path.partition("?")[0]
        body = await request.read()
        self.received.append(
            Received(
                method=request.method,
                path=path,
                query=dict(request.query),
                headers=request.headers,
                body=body,
                at=time.monotonic(),
            )
        )
        async with self._arrival:
            self._arrival.notify_all()
        handler = self.handlers.get((request.method, path))
        if handler is None:
            body_json = {"ok": False, "code": "NOT_FOUND", "message": f"no route {path}"}
            return web.json_response(body_json, status=404)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # the listening asyncio.Server, to learn the port
        assert isinstance(server, asyncio.Server)
        host, port = server.sockets[0].getsockname()[:2]
        self.url = URL.build(scheme="http", host=host, port=port)

    async def stop(self) -> None:
        self.stopping.set()
        await self._runner.cleanup()

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


class TokenEndpoint:
    """An OAuth2 token endpoint that rotates refresh tokens and counts refreshes.

    Install with :meth:`install`; API routes guarded by :meth:`guard` accept
    only the current access token and answer 401 otherwise.
    """

    def __init__(self, access: str = "at-0", refresh: str = "rt-0", *, expires_in: int = 3600):
        self.access = access
        self.refresh = refresh
        self.expires_in = expires_in
        self.refreshes = 0
        self.codes: dict[str, str] = {}  # code -> PKCE challenge
        self.fail = False
        self.forms: list[dict[str, str]] = []
        #: Lets a test hold the refresh open, to widen a race on purpose.
        self.gate: asyncio.Event | None = None

    def install(self, server: Server, path: str = "/oauth2/token") -> URL:
        server.route_abs("POST", path, self._token)
        return server.url.with_path(path)

    def guard(self, handler: Handler) -> Handler:
        """Wrap ``handler`` so it needs ``Bearer <current access token>``."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Authorization") != f"Bearer {self.access}":
                return await error(401, "UNAUTHORIZED", "invalid or expired token")(request)
            return await handler(request)

        return guarded

    def _issue(self) -> web.Response:
        n = self.refreshes
        self.access, self.refresh = f"at-{n}", f"rt-{n}"
        body = {
            "access_token": self.access,
            "refresh_token": self.refresh,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        return web.json_response(body)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.forms.append(form)
        if form.get("grant_type") == "refresh_token":
            self.refreshes += 1
            if self.gate is not None:
                await self.gate.wait()
            if self.fail or form.get("refresh_token") != self.refresh:
                return web.json_response({"error": "invalid_grant"}, status=400)
            return self._issue()
        if form.get("grant_type") == "authorization_code" and form.get("code") in self.codes:
            return self._issue()
        return web.json_response({"error": "unsupported_grant_type"}, status=400)


def items_page(ids: Iterable[str]) -> dict[str, Any]:
    """A list response body holding items with these ids."""
    return {"ok": True, "items": [{"id": i, "text": f"task {i}"} for i in ids]}
