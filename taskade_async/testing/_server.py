"""The HTTP side of the fake: routing, auth, body rules, faults, recording.

One aiohttp handler serves every ``/api/v1`` path: it finds the operation,
checks the bearer token and the rate limit, parses and validates the query
and body against :mod:`._schemas`, calls the operation's handler and
serializes its answer once with ``json.dumps``.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote, unquote

import attrs
from aiohttp import web
from yarl import URL

from . import _handlers_agents, _handlers_files, _handlers_projects, _handlers_tasks
from ._admin import PREFIX as ADMIN_PREFIX
from ._bots import CAUSES
from ._call import HANDLERS, Binary, Call
from ._faults import Fault, FaultKind, FaultQueue
from ._handlers_v2 import V2_BODIES, V2_PREFIX, V2_ROUTES
from ._oauth import OAuthServer
from ._problems import ApiProblem
from ._queries import QUERIES, QueryParam
from ._ratelimit import RateLimiter
from ._routes import ROUTES, Route
from ._schemas import BODIES
from ._state import State
from ._validate import Schema, SchemaError, validate

__all__ = ["API_PREFIX", "RecordedRequest", "Server"]

# The handler modules register themselves on import; name them so they stay imported.
_HANDLER_MODULES: Final = (_handlers_agents, _handlers_files, _handlers_projects, _handlers_tasks)
API_PREFIX: Final = "/api/v1"
#: Largest request body read (a little above the 50 MB bundle limit, so that gets a 413).
MAX_BODY: Final = 64 * 1024 * 1024
_COUNT: Final = re.compile(r"^[0-9]{1,9}$")
_HTML_PAGE: Final = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@attrs.define(eq=False)
class RecordedRequest:
    """A request the fake received (the Authorization value is never kept)."""

    method: str
    path: str  # decoded, from the root: /api/v1/projects/...
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    time: float  # time.time() when it arrived
    operation_id: str | None = None
    status: int | None = None
    response: bytes | None = None  # the JSON body sent (None for files and resets)


#: The record of the request being served (the middleware and the handler share a task).
_CURRENT: Final[contextvars.ContextVar[RecordedRequest | None]] = contextvars.ContextVar(
    "taskade_fake_record", default=None
)


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=_dumps(payload), status=status, content_type="application/json", headers=headers
    )


def _binary(reply: Binary) -> web.Response:
    return web.Response(
        body=reply.content,
        content_type=reply.content_type,
        headers={"Content-Disposition": _content_disposition(reply.filename)},
    )


def _problem(problem: ApiProblem, headers: Mapping[str, str] | None = None) -> web.Response:
    return _json(problem.body(), problem.status, headers)


def _retry_after(value: float | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}"


def _content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "'")
    ascii_name = ascii_name.replace("\\", "_").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}
#: Faults that let the request be carried out and then spoil its answer.
_AFTER: Final = frozenset(
    {FaultKind.RESET_AFTER, FaultKind.RESET_MID_BODY, FaultKind.TRUNCATED_JSON}
)


class _Router:
    """Finds the operation for a method and a raw path below its prefix (/api/v1)."""

    def __init__(
        self,
        routes: tuple[Route, ...],
        prefix: str = API_PREFIX,
        bodies: Mapping[str, Schema] = BODIES,
    ) -> None:
        self.prefix = prefix
        self.bodies = bodies
        self._by_shape: dict[tuple[int, str], list[tuple[Route, re.Pattern[str]]]] = {}
        for route in routes:
            segments = route.path.strip("/").split("/")
            key = (len(segments), segments[0])
            self._by_shape.setdefault(key, []).append((route, route.pattern))

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        segments = raw_path.strip("/").split("/")
        allowed = []
        for route, pattern in self._by_shape.get((len(segments), segments[0]), ()):
            found = pattern.match(raw_path)
            if found is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            return route, {k: unquote(v) for k, v in found.groupdict().items()}
        if allowed:
            raise ApiProblem(
                405,
                f"{method} is not allowed here; use {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        raise ApiProblem(404, f"no operation at {self.prefix}{raw_path}")


_ROUTER: Final = _Router(ROUTES)
_V2_ROUTER: Final = _Router(V2_ROUTES, V2_PREFIX, V2_BODIES)


def _parse_query(operation_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    rules: Mapping[str, QueryParam] = QUERIES.get(operation_id, {})
    values: dict[str, Any] = {}
    for name, rule in rules.items():
        raw = query.get(name)
        if raw is None:
            if rule.required:
                raise ApiProblem(400, f"query parameter {name!r} is required")
            if rule.default is not None:
                values[name] = rule.default
            continue
        if rule.kind == "count":
            if not _COUNT.match(raw):
                raise ApiProblem(400, f"query parameter {name!r} must be a whole number")
            number = int(raw)
            if rule.minimum is not None and number < rule.minimum:
                raise ApiProblem(400, f"query parameter {name!r} must be >= {rule.minimum}")
            if rule.maximum is not None and number > rule.maximum:
                raise ApiProblem(400, f"query parameter {name!r} must be <= {rule.maximum}")
            values[name] = number
        else:
            if rule.enum is not None and raw not in rule.enum:
                raise ApiProblem(
                    400, f"query parameter {name!r} must be one of {', '.join(rule.enum)}"
                )
            values[name] = raw
    return values


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


class Server:
    """The running parts of a fake: state, tokens, faults, limits and the aiohttp app."""

    def __init__(self, state: State, token: str, access_token_ttl: float) -> None:
        self.state = state
        self.personal_tokens: set[str] = {token}
        self.oauth = OAuthServer(access_token_ttl)
        self.faults = FaultQueue()
        self.requests: list[RecordedRequest] = []
        self.record = True
        self.latency = 0.0
        self.limiter: RateLimiter | None = None
        self.root_url = URL("http://127.0.0.1")
        #: Answer file downloads with a 302 to "storage" on another host name (localhost).
        self.redirect_downloads = False
        self._storage: dict[str, Binary] = {}
        self.app = web.Application(client_max_size=MAX_BODY, middlewares=[self._outer])
        self.app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        self.app.router.add_route("*", V2_PREFIX + "/{tail:.*}", self._api_v2)
        self.app.router.add_get("/oauth2/authorize", self.oauth.authorize)
        self.app.router.add_post("/oauth2/token", self.oauth.token)
        self.app.router.add_post("/oauth2/register", self.oauth.register_endpoint)
        self.app.router.add_get("/.well-known/oauth-authorization-server", self._metadata)
        self.app.router.add_get("/storage/{key}", self._stored)
        self.app.on_response_prepare.append(_request_id)

    async def _metadata(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.oauth.metadata(self.root_url))

    # -- outer layer: recording, latency, faults (every path, OAuth included) ---------

    @web.middleware
    async def _outer(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)  # the admin API: not recorded, no faults
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _problem(ApiProblem(413, f"request bodies are limited to {MAX_BODY} bytes"))
        record = None
        if self.record:
            headers = dict(request.headers)
            if "Authorization" in headers:
                headers["Authorization"] = "<redacted>"
            record = RecordedRequest(
                request.method, request.path, dict(request.query), headers, body, time.time()
            )
            self.requests.append(record)
        _CURRENT.set(record)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            early = await self._fault_before(request, fault)
            if early is not None:
                if record is not None:
                    record.status = early.status
                return early
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # e.g. the OAuth redirects
            if record is not None:
                record.status = exc.status
            raise
        if record is not None:
            record.status = response.status
            if isinstance(response, web.Response) and response.content_type == "application/json":
                body_bytes = response.body
                record.response = body_bytes if isinstance(body_bytes, bytes) else None
        if fault is not None and fault.kind in _AFTER:
            return await self._fault_after(request, fault, response)
        return response

    async def _fault_before(self, request: web.Request, fault: Fault) -> web.Response | None:
        kind = fault.kind
        if kind is FaultKind.DELAY:
            await asyncio.sleep(fault.seconds)
            return None
        if kind is FaultKind.STATUS:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = _retry_after(fault.retry_after)
            problem = ApiProblem(fault.status, fault.message or "injected fault")
            return _problem(problem, headers)
        if kind is FaultKind.HTML:
            phrase = ApiProblem(fault.status, "").status_message
            page = _HTML_PAGE.format(status=fault.status, phrase=phrase)
            return web.Response(text=page, status=fault.status, content_type="text/html")
        if kind is FaultKind.RESET:
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise web.HTTPServiceUnavailable()  # never sent: the connection is gone
        return None  # the rest act on the real response

    async def _fault_after(
        self, request: web.Request, fault: Fault, response: web.StreamResponse
    ) -> web.StreamResponse:
        body = response.body if isinstance(response, web.Response) else None
        if not isinstance(body, bytes) or len(body) < 2:
            body = _dumps({"ok": True, "items": []})
        if fault.kind is FaultKind.TRUNCATED_JSON:
            return web.Response(body=body[: len(body) // 2], content_type="application/json")
        transport = request.transport
        if fault.kind is FaultKind.RESET_AFTER:
            # The request was carried out; its answer is lost with the connection.
            if transport is not None:
                transport.abort()
            raise web.HTTPServiceUnavailable()  # never sent: the connection is gone
        # RESET_MID_BODY: promise the whole body, send half, then drop the connection.
        stream = web.StreamResponse(status=response.status)
        stream.content_type = response.content_type
        stream.content_length = len(body)
        await stream.prepare(request)
        await stream.write(body[: len(body) // 2])
        if transport is not None:
            transport.abort()
        return stream

    # -- the API ----------------------------------------------------------------------

    def _authorize(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiProblem(401, "a bearer token is required", headers=_CHALLENGE)
        if token not in self.personal_tokens and not self.oauth.valid(token):
            raise ApiProblem(401, "the token is invalid or has expired", headers=_CHALLENGE)
        return token

    async def _api(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._serve(request)
        except ApiProblem as problem:
            return _problem(problem, problem.headers)

    async def _api_v2(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._serve(request, _V2_ROUTER)
        except ApiProblem as problem:
            return _problem(problem, problem.headers)

    async def _serve(self, request: web.Request, router: _Router = _ROUTER) -> web.StreamResponse:
        token = self._authorize(request)
        limiter = self.limiter
        if limiter is not None and (refusal := limiter.check(token)) is not None:
            raise ApiProblem(429, "rate limit exceeded", headers=refusal)
        raw_path = request.rel_url.raw_path[len(router.prefix) :]
        route, args = router.match(request.method, raw_path)
        record = _CURRENT.get()
        if record is not None:
            record.operation_id = route.operation_id
        call = Call(
            self.state, self.root_url, args, _parse_query(route.operation_id, request.query)
        )
        body = await request.read()
        if route.body == "none":
            if body:
                raise ApiProblem(415, f"{route.operation_id} takes no request body")
        elif route.body == "json":
            if not _is_json(request.content_type):
                raise ApiProblem(415, "the request body must be application/json")
            if not body:
                raise ApiProblem(400, "a JSON request body is required")
            try:
                call.body = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ApiProblem(400, f"the request body is not valid JSON: {exc}") from exc
            try:
                validate(router.bodies[route.operation_id], call.body)
            except SchemaError as exc:
                raise ApiProblem(400, str(exc)) from exc
        else:
            call.raw = body
            call.content_type = request.headers.get("Content-Type", "")
        reply = HANDLERS[route.operation_id](call)
        cause = CAUSES.get(route.operation_id)
        if cause is not None:
            cause(call, reply)  # an event for the webhooks (v2), e.g. project.created
        if isinstance(reply, Binary):
            if self.redirect_downloads:
                # Like the real API sending a file from storage: another origin, no token.
                key = secrets.token_urlsafe(16)
                self._storage[key] = reply
                storage = self.root_url.with_host("localhost") / "storage" / key
                return web.Response(status=302, headers={"Location": str(storage)})
            return _binary(reply)
        return _json(reply)

    async def _stored(self, request: web.Request) -> web.StreamResponse:
        """``GET /storage/{key}``: a redirected download; needs no token (and wants none)."""
        reply = self._storage.get(request.match_info["key"])
        if reply is None:
            raise web.HTTPNotFound(text="no such stored file")
        return _binary(reply)


_REQUEST_IDS = itertools.count(1)
_ID_PREFIX = secrets.token_hex(4)


async def _request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Give every answer an ``x-request-id``, as Taskade's edge does (errors quote it)."""
    response.headers.setdefault("x-request-id", f"{_ID_PREFIX}-{next(_REQUEST_IDS):08x}")
