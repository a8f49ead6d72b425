"""``Session``: the one request path every API call goes through.

This is the only module that sends requests with aiohttp. Request building,
decoding, error mapping and retry decisions are pure functions elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final, Literal, overload

import aiohttp
from yarl import URL

from ._auth import DEFAULT_TOKEN_URL as _TOKEN_URL
from ._auth import Auth, BearerToken, TokenSet, parse_token_response
from ._body import BodySource, RawBody
from ._download import Download
from ._errors import (
    AuthenticationError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    TaskadeError,
    TransportError,
    ValidationError,
)
from ._request import Operation, conclude, decode_error, decode_json, encode_query
from ._retry import RetryPolicy, parse_retry_after
from ._throttle import Throttle
from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "Session", "exchange_code"]

DEFAULT_BASE_URL: Final = URL("https://www.taskade.com/api/v1")
_log = logging.getLogger("taskade_async")
_MAX_ERROR_BODY: Final = 64 * 1024
_READ_CHUNK: Final = 4 * 1024 * 1024
#: The default cap on a JSON answer: far above the largest real page (1000 tasks).
DEFAULT_MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024
_MAX_REDIRECTS: Final = 5
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_JSON_HEADERS: Final = {"Content-Type": "application/json"}
_NO_BODY: Final[Any] = object()
#: A 2xx body ``json.loads`` refused (retried like a reset mid-body when that is safe).
_GARBLED: Final[Any] = object()
_NO_AUTO_TYPE: Final = frozenset({"Content-Type"})
#: Methods for which aiohttp adds a Content-Type even without a body.
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
#: Failures that happen before the request reached the server.
_NOT_SENT: Final = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        import ipaddress  # rare path: keeps `import taskade_async` fast

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: URL | str, what: str = "base_url") -> URL:
    url = URL(str(base_url))
    if not url.is_absolute() or url.scheme not in ("http", "https"):
        raise ValidationError(f"{what} must be an absolute http(s) URL, not {base_url!s}")
    if url.scheme != "https" and not _is_loopback(url.host):
        raise ValidationError(f"{what} must use https (plain http is allowed for loopback only)")
    if url.query_string or url.fragment:
        raise ValidationError(f"{what} must not have a query or fragment")
    return url.with_path(url.path.rstrip("/"))


def _derive_v2_root(base: URL, v2_base_url: URL | str | None) -> str | None:
    """The v2 API's root: given, or the sibling of a base URL ending in ``/v1``."""
    if v2_base_url is not None:
        return str(_check_base_url(v2_base_url, "v2_base_url"))
    if not base.path.endswith("/v1"):
        return None
    return str(base.with_path(base.path[: -len("/v1")] + "/v2"))


def _same_origin(a: URL, b: URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


class Session:
    """A connection to the Taskade API; use as ``async with Session(...) as s``.

    Credentials: ``token`` (a personal access token), or ``auth`` (e.g.
    :class:`OAuth2`), or else the ``TASKADE_TOKEN`` environment variable.
    ``base_url`` (default: the ``TASKADE_BASE_URL`` environment variable, else
    the Taskade API) must be https (plain http only for loopback, for tests).
    v2 operations go to ``v2_base_url`` (the same rule), by default the
    sibling of ``base_url`` (``.../api/v1`` -> ``.../api/v2``).

    Settings:

    - ``deadline``: seconds each call may take in all, every attempt, retry
      wait and token refresh included (``request(deadline=...)`` per call).
      ``agents.prompt`` (an LLM run) gets at least 120 s.
    - ``connect_timeout``: seconds to open a connection (then retried when safe).
    - ``read_timeout``: seconds of silence after which a streamed download fails.
    - ``max_connections``: concurrent connections (with a session we create).
    - ``retry``: a :class:`RetryPolicy`.
    - ``rate_limit`` / ``rate_burst``: a ceiling on the pace, in requests per
      second; below it, the pace adapts to the rate the server admits (429s).
    - ``max_response_bytes``: the largest JSON answer accepted (a longer or
      endless body fails with ProtocolError).
    - ``user_agent``: replaces ``taskade-async/<version> aiohttp/... python/...``.
    - ``http``: your own ``aiohttp.ClientSession``, used as it is (its connector
      limits apply) and not closed by us. Its silent re-send of an idempotent
      request on a dropped keep-alive connection is turned off: every request
      the server receives is one the retry policy chose (and ``stats`` counts).
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        auth: Auth | None = None,
        base_url: URL | str | None = None,
        v2_base_url: URL | str | None = None,
        http: aiohttp.ClientSession | None = None,
        deadline: float = 300.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_connections: int = 64,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        rate_burst: int = 1,
        user_agent: str | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if token is not None and auth is not None:
            raise ValidationError("pass token or auth, not both")
        if auth is None:
            token = token if token is not None else os.environ.get("TASKADE_TOKEN")
            if not token:
                raise AuthenticationError(
                    "no credentials: pass token= or auth=, or set TASKADE_TOKEN"
                )
            auth = BearerToken(token)
        token_url = getattr(auth, "token_url", None)
        if isinstance(token_url, URL):
            # The refresh token goes there: https unless loopback, as for the API.
            _check_base_url(token_url, "token_url")
        if deadline <= 0:
            raise ValidationError("deadline must be positive")
        if isinstance(max_connections, bool) or not isinstance(max_connections, int):
            raise ValidationError("max_connections must be an int")
        if max_connections < 1:
            raise ValidationError("max_connections must be at least 1")
        if (
            isinstance(max_response_bytes, bool)
            or not isinstance(max_response_bytes, int)
            or max_response_bytes < 1
        ):
            raise ValidationError("max_response_bytes must be a positive int")
        self._max_response_bytes = max_response_bytes
        if base_url is None:
            base_url = os.environ.get("TASKADE_BASE_URL") or DEFAULT_BASE_URL
        self._auth = auth
        self.base_url = _check_base_url(base_url)
        self._base = str(self.base_url)
        self._v2_base = _derive_v2_root(self.base_url, v2_base_url)
        self._http = http
        self._owns_http = http is None
        if http is not None:
            _no_resend(http)
        self._deadline = deadline
        # JSON calls: the call's deadline bounds everything after connecting, so no
        # per-read timer is armed (it costs CPU on every chunk). A streamed body is
        # read after the call returned: there, read_timeout of silence fails it.
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout)
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=read_timeout
        )
        #: The token endpoint: the shared refresh runs on even if its callers give up.
        self._form_timeout = aiohttp.ClientTimeout(
            total=connect_timeout + read_timeout, sock_connect=connect_timeout
        )
        self._max_connections = max_connections
        self.retry = retry if retry is not None else RetryPolicy()
        # Requests queue in the throttle (where they can be paced), not in the pool.
        pool = max_connections if http is None else http.connector.limit if http.connector else 0
        self.throttle = Throttle(rate_limit, burst=rate_burst, in_flight=pool or None)
        self._deadlines = _Deadlines()
        ua = user_agent or (
            f"taskade-async/{__version__} aiohttp/{aiohttp.__version__} "
            "python/{}.{}.{}".format(*sys.version_info[:3])
        )
        self._headers: Final = {"User-Agent": ua, "Accept": "application/json"}
        #: Counters for monitoring: requests sent, retries, 429s seen.
        self.stats: dict[str, int] = {"requests": 0, "retries": 0, "rate_limited": 0}

    def __repr__(self) -> str:
        return f"<Session {self._base} auth={self._auth!r}>"

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> Session:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Create the HTTP client (``async with`` does this for you)."""
        if self._http is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0)
            self._http = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, raise_for_status=False
            )
            self._owns_http = True
            _no_resend(self._http)

    async def close(self) -> None:
        """Close the HTTP client if this session created it."""
        http, self._http = self._http, None
        if http is not None and self._owns_http:
            await http.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            raise RuntimeError("the session is not open: use 'async with Session(...)'")
        return self._http

    # -- the request path ----------------------------------------------------------

    def _v2_root(self) -> str:
        if self._v2_base is None:
            raise ValidationError(
                f"no v2 root can be derived from base_url {self._base} (it does not end "
                "in /v1): pass v2_base_url="
            )
        return self._v2_base

    def url(self, op: Operation, args: tuple[str, ...], query: Mapping[str, Any] | None) -> URL:
        """The full URL of ``op`` for these ids and query (raises ValidationError)."""
        path = (self._base if op.api == "v1" else self._v2_root()) + op.render(args)
        if query:
            qs = encode_query(query)
            if qs:
                path = f"{path}?{qs}"
        return URL(path, encoded=True)

    @overload
    async def request(
        self,
        op: Operation,
        args: tuple[str, ...] = (),
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = _NO_BODY,
        data: RawBody | None = None,
        content_type: str | None = None,
        deadline: float | None = None,
        stream: Literal[False] = False,
    ) -> dict[str, Any]: ...

    @overload
    async def request(
        self,
        op: Operation,
        args: tuple[str, ...] = (),
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = _NO_BODY,
        data: RawBody | None = None,
        content_type: str | None = None,
        deadline: float | None = None,
        stream: Literal[True],
    ) -> Download: ...

    async def request(
        self,
        op: Operation,
        args: tuple[str, ...] = (),
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = _NO_BODY,
        data: RawBody | None = None,
        content_type: str | None = None,
        deadline: float | None = None,
        stream: bool = False,
    ) -> dict[str, Any] | Download:
        """Send ``op`` and return its decoded JSON object (or a Download with ``stream``).

        ``json`` is a JSON body; ``data`` a raw body (streamed) with its
        ``content_type``. With neither, no body at all is sent.
        """
        url = self.url(op, args, query)
        headers = dict(self._headers)
        body: bytes | BodySource | None = None
        if json is not _NO_BODY:
            if data is not None:
                raise ValidationError("pass json or data, not both")
            body = _dumps(json)
            headers.update(_JSON_HEADERS)
        elif data is not None:
            body = BodySource(data)
            headers["Content-Type"] = content_type or "application/octet-stream"
            if body.size is not None:
                headers["Content-Length"] = str(body.size)  # else sent chunked
        if deadline is None and op.min_deadline > self._deadline:
            deadline = op.min_deadline  # e.g. promptAgent, which runs an LLM
        budget = self._deadline if deadline is None else deadline
        if budget <= 0:
            raise ValidationError("deadline must be positive")
        deadline_at = time.monotonic() + budget  # the throttle's clock too
        tally: _Tally | None = None
        try:
            if deadline is not None:
                tally = _Tally()
                async with asyncio.timeout(budget):
                    return await self._send(op, url, headers, body, stream, deadline_at, tally)
            # The session's own budget: one shared timer (see _Deadlines), not one per call.
            call = tally = self._deadlines.enter(budget)
            try:
                return await self._send(op, url, headers, body, stream, deadline_at, call)
            except asyncio.CancelledError:
                if self._deadlines.leave(call, cancelled=True):
                    raise TimeoutError from None
                raise
            finally:
                if not call.left:
                    self._deadlines.leave(call, cancelled=False)
        except TaskadeError as exc:
            if tally is not None:
                conclude(exc, tally.attempts, sent=tally.sent, idempotent=op.idempotent)
            raise
        except TimeoutError:
            assert tally is not None  # only the deadline raises a bare TimeoutError here
            timeout = RequestTimeoutError(
                f"{op.method} {url}: no answer within the call's deadline ({budget:g} s)",
                method=op.method,
                url=str(url),
            )
            raise conclude(
                timeout, tally.attempts, sent=tally.sent, idempotent=op.idempotent
            ) from None

    async def _send(
        self,
        op: Operation,
        url: URL,
        headers: dict[str, str],
        body: bytes | BodySource | None,
        stream: bool,
        deadline_at: float,
        tally: _Tally,
    ) -> dict[str, Any] | Download:
        http = self._client()
        method = op.method
        retry = self.retry
        debug = _log.isEnabledFor(logging.DEBUG)
        source = body if isinstance(body, BodySource) and not body.replayable else None
        one_shot = source is not None
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            if self.throttle.paused_until >= deadline_at:
                raise RequestTimeoutError(
                    f"{method} {url}: the session is paused after a 429 until past "
                    "this call's deadline",
                    method=method,
                    url=str(url),
                )
            throttle = self.throttle
            if throttle.idle():
                throttle.enter()  # nothing to wait for: no await on the hot path
            else:
                await throttle.acquire()
            failure: aiohttp.ClientError | TimeoutError | None = None
            was_sent = tally.sent
            try:
                auth = self._auth
                if type(auth) is BearerToken:  # static: no await (a subclass may do more)
                    authorization = auth.header()
                else:
                    authorization = await auth.authorization(self._post_form)
                headers["Authorization"] = authorization
                started = time.monotonic()
                self.stats["requests"] += 1
                tally.attempts = attempt
                tally.sent = True  # until we learn that the server cannot have acted
                response = await self._exchange(http, method, url, headers, body, stream)
            except (aiohttp.ClientError, TimeoutError) as exc:
                failure = exc
            finally:
                throttle.release()  # answered or failed: no longer in flight
            if failure is not None:
                sent = not isinstance(failure, _NOT_SENT)
                if not sent:
                    tally.sent = was_sent
                if debug:
                    # str(), not repr(): some aiohttp errors' repr shows the request headers.
                    _log.debug(
                        "%s %s failed: %s: %s (attempt %d, %.1f ms)",
                        method,
                        url.path,
                        type(failure).__name__,
                        failure,
                        attempt,
                        (time.monotonic() - started) * 1000,
                    )
                # A one-shot body may go again only if none of it was read (connect failed).
                may_retry = not (
                    source is not None and source.consumed
                ) and retry.should_retry_transport(
                    idempotent=op.idempotent, sent=sent, attempt=attempt
                )
                error: TaskadeError = _transport_error(failure, method, url)
                if not may_retry:
                    raise error from failure
                await self._backoff(attempt, error, None, deadline_at)
                continue
            status = response.status
            if 300 <= status < 500:
                tally.sent = was_sent  # refused (or redirected): the server did not act
            if debug:
                _log.debug(
                    "%s %s -> %d (attempt %d, %.1f ms)",
                    method,
                    url.path,
                    status,
                    attempt,
                    (time.monotonic() - started) * 1000,
                )
            if status < 300:
                self.throttle.success()
                if stream:
                    return Download(response)
                try:
                    raw = await _read_capped(response, self._max_response_bytes)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = _transport_error(exc, method, url)
                    if one_shot or not retry.should_retry_transport(
                        idempotent=op.idempotent, sent=True, attempt=attempt
                    ):
                        raise error from exc
                    response.release()
                    await self._backoff(attempt, error, None, deadline_at)
                    continue
                finally:
                    response.release()
                if raw is None:
                    raise ProtocolError(
                        f"{method} {url} -> {status}: the answer is longer than "
                        f"max_response_bytes ({self._max_response_bytes} bytes)",
                        method=method,
                        url=str(url),
                        status=status,
                    )
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = _GARBLED  # truncated, not JSON, not UTF-8
                except RecursionError:
                    payload = None  # hostile nesting: decode_json says so
                if type(payload) is dict and payload.get("ok") is True:
                    return payload
                # Not the documented shape: decode_json says how, as a ProtocolError.
                try:
                    return decode_json(
                        raw,
                        status=status,
                        content_type=response.content_type,
                        method=method,
                        url=str(url),
                    )
                except ProtocolError as exc:
                    # A garbled body is retried like a reset mid-body: only when repeating
                    # the call is safe (never a POST or PATCH, never a one-shot body).
                    if (
                        payload is not _GARBLED
                        or one_shot
                        or not retry.should_retry_transport(
                            idempotent=op.idempotent, sent=True, attempt=attempt
                        )
                    ):
                        raise
                    await self._backoff(attempt, exc, None, deadline_at)
                    continue
            # An error: read a bounded excerpt, release the connection, decide.
            try:
                raw = await _read_bounded(response, _MAX_ERROR_BODY)
            except (aiohttp.ClientError, TimeoutError):
                raw = b""  # the status alone still says what happened
            finally:
                response.release()
            if status == 401 and not renewed:
                renewed = True
                # Renew even for a one-shot body (the next call needs it), but never re-send it.
                if await self._auth.unauthorized(self._post_form, authorization) and not one_shot:
                    continue
            api_error = decode_error(
                status,
                raw,
                response.content_type,
                method=method,
                url=str(url),
                headers=response.headers,
            )
            if status < 500 and status != 429:
                self.throttle.success()  # a refusal, but an answer: the server is not overloaded
            if isinstance(api_error, RateLimitError):
                self.stats["rate_limited"] += 1
                retry_after = api_error.retry_after  # parsed once, by decode_error
                hold = None if retry_after is None else min(retry_after, retry.max_retry_after)
                self.throttle.refused(started, hold)  # the one reaction: the session's pace
            else:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if one_shot or not retry.should_retry_status(
                status, idempotent=op.idempotent, attempt=attempt
            ):
                raise api_error
            await self._backoff(attempt, api_error, retry_after, deadline_at)

    async def _exchange(
        self,
        http: aiohttp.ClientSession,
        method: str,
        url: URL,
        headers: dict[str, str],
        body: bytes | BodySource | None,
        stream: bool,
    ) -> aiohttp.ClientResponse:
        """One attempt: send, and follow redirects by hand.

        The bearer token is dropped as soon as a redirect leaves the base
        URL's origin (e.g. a download redirected to file storage).
        """
        timeout = self._stream_timeout if stream else self._timeout
        opened = body.open() if isinstance(body, BodySource) else contextlib.nullcontext(body)
        with opened as payload:
            response = await http.request(
                method,
                url,
                data=payload,
                headers=headers,
                allow_redirects=False,
                raise_for_status=False,  # we map statuses, whatever the ClientSession says
                timeout=timeout,
                # aiohttp would label an empty POST application/octet-stream: send no type.
                skip_auto_headers=_NO_AUTO_TYPE
                if payload is None and method in _BODY_METHODS
                else None,
            )
        hops = 0
        while response.status in _REDIRECTS and method == "GET":
            location = response.headers.get("Location")
            response.release()
            target = _redirect_target(response.url, location)
            if target is None or target.scheme not in ("http", "https") or hops >= _MAX_REDIRECTS:
                raise ProtocolError(
                    f"GET {url}: a redirect without a usable Location, or too many redirects",
                    method=method,
                    url=str(url),
                    status=response.status,
                )
            hops += 1
            if not _same_origin(target, self.base_url):
                # Never send the token to another host (e.g. file storage).
                headers = {k: v for k, v in headers.items() if k != "Authorization"}
            self.stats["requests"] += 1  # a request the storage server receives
            response = await http.get(
                target,
                headers=headers,
                allow_redirects=False,
                raise_for_status=False,
                timeout=timeout,
            )
        return response

    async def _backoff(
        self,
        attempt: int,
        error: TaskadeError,
        retry_after: float | None,
        deadline_at: float,
    ) -> None:
        """Wait before the next attempt, or raise ``error`` when waiting cannot help.

        The error is raised instead of sleeping when ``Retry-After`` (in seconds)
        exceeds the policy's limit, or when the wait would end past the call's deadline.
        """
        if retry_after is not None and retry_after > self.retry.max_retry_after:
            raise error
        wait = self.retry.backoff(attempt, retry_after)
        if time.monotonic() + wait >= deadline_at:
            raise error
        self.stats["retries"] += 1
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("retrying in %.3f s (attempt %d failed: %s)", wait, attempt, error)
        await asyncio.sleep(wait)

    async def _post_form(self, url: URL, form: dict[str, str]) -> tuple[int, bytes]:
        """POST a form to an OAuth2 token endpoint, without the auth layer."""
        return await _post_form(self._client(), url, form, self._form_timeout)


class _Tally:
    """What one call has done so far: attempts sent, and whether one may have acted."""

    __slots__ = ("attempts", "sent")

    def __init__(self) -> None:
        self.attempts = 0
        #: Some attempt may have reached the server (not: connect failed, 3xx/4xx, 429).
        self.sent = False


class _Call(_Tally):
    """A call in flight under the session's default budget."""

    __slots__ = ("cancelling", "expired", "left", "task", "when")

    def __init__(self, task: asyncio.Task[Any], when: float) -> None:
        self.attempts = 0
        self.sent = False
        self.task = task
        self.when = when  # loop time
        self.cancelling = task.cancelling()
        self.expired = False
        self.left = False


class _Deadlines:
    """The deadlines of the calls that use the session's default budget, on one timer.

    What ``asyncio.timeout`` does, without arming and cancelling a loop timer
    per call (measured at 8-12 us of CPU per call on this stack). All these
    calls have the same budget, so they expire in the order they started: the
    calls in flight sit in an insertion-ordered dict, and a single timer
    waits for the oldest one's deadline; when it fires, every call past its
    deadline is cancelled (and reports a timeout, as ``asyncio.timeout``
    would), and the timer is armed again for the oldest call left.
    """

    __slots__ = ("_calls", "_loop", "_timer", "_timer_when")

    def __init__(self) -> None:
        self._calls: dict[_Call, None] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0

    def enter(self, budget: float) -> _Call:
        """Register the current task's call; it expires ``budget`` seconds from now."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Session.request must run in an asyncio task")
        loop = task.get_loop()
        if loop is not self._loop:
            # A new event loop (the old one is gone, with whatever ran on it).
            if self._timer is not None:
                self._timer.cancel()
            self._calls.clear()
            self._loop, self._timer = loop, None
        call = _Call(task, loop.time() + budget)
        self._calls[call] = None
        if self._timer is None:
            self._arm(loop, call.when)
        return call

    def leave(self, call: _Call, *, cancelled: bool) -> bool:
        """Unregister ``call``; whether its cancellation is this deadline's (a timeout).

        As in ``asyncio.timeout``: an expired call takes its own cancel request
        back, and only reports a timeout if no other cancel request is pending.
        """
        call.left = True
        self._calls.pop(call, None)
        if not call.expired:
            return False
        return call.task.uncancel() <= call.cancelling and cancelled

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        self._timer_when = when
        self._timer = loop.call_at(when, self._expire)

    def _expire(self) -> None:
        self._timer = None
        loop = self._loop
        assert loop is not None
        # The timer may run a hair before its time (the loop's clock resolution).
        now = max(loop.time(), self._timer_when)
        calls = self._calls
        while calls:
            call = next(iter(calls))
            if call.when > now:
                self._arm(loop, call.when)
                return
            del calls[call]
            call.expired = True
            call.task.cancel()


def _redirect_target(base: URL, location: str | None) -> URL | None:
    """Where a redirect points, or None if its Location is missing or unusable."""
    if not location:
        return None
    try:
        return base.join(URL(location))
    except ValueError:
        return None


def _no_resend(http: aiohttp.ClientSession) -> None:
    """Turn off aiohttp's own re-send of idempotent requests on a dropped keep-alive connection.

    aiohttp (3.10+) silently sends a GET or PUT a second time when a reused
    connection fails; the retry policy, the deadline and ``stats`` would not
    know. aiohttp's own test client turns it off the same way.
    """
    if hasattr(http, "_retry_connection"):
        http._retry_connection = False


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes | None:
    """The whole body, or None (and the connection closed) once it passes ``cap`` bytes.

    Chunk by chunk, so an endless body or a decompression bomb never sits in
    memory whole (``response.read()`` lifts aiohttp's decompression chunk limit).
    """
    length = response.content_length
    if length is not None and length > cap:
        response.close()
        return None
    content = response.content
    # Buffer up to 4 MiB before pausing the socket (as read() does, but bounded), and
    # decompress at most that much per chunk.
    content.set_read_chunk_size(min(cap, _READ_CHUNK))
    chunks: list[bytes] = []
    size = 0
    while chunk := await content.readany():
        size += len(chunk)
        if size > cap:
            response.close()
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Up to ``limit`` bytes of the body (a single read may return only the first chunk)."""
    parts: list[bytes] = []
    left = limit
    while left > 0 and (chunk := await response.content.read(left)):
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _transport_error(exc: BaseException, method: str, url: URL) -> TransportError:
    what = type(exc).__name__
    if isinstance(exc, TimeoutError):
        return RequestTimeoutError(
            f"{method} {url}: timed out ({what})", method=method, url=str(url)
        )
    return TransportError(f"{method} {url}: {what}: {exc}", method=method, url=str(url))


_FORM_TIMEOUT: Final = aiohttp.ClientTimeout(total=70.0, sock_connect=10.0)


async def _post_form(
    http: aiohttp.ClientSession,
    url: URL,
    form: dict[str, str],
    limits: aiohttp.ClientTimeout = _FORM_TIMEOUT,
) -> tuple[int, bytes]:
    """POST a form to a token endpoint; never follows a redirect (it would carry secrets)."""
    try:
        async with http.post(
            url,
            data=form,
            headers={"Accept": "application/json"},
            allow_redirects=False,
            raise_for_status=False,  # we map statuses, whatever the ClientSession says
            timeout=limits,
        ) as resp:
            body = await _read_capped(resp, _MAX_ERROR_BODY)
            if body is None:
                raise AuthenticationError(
                    f"token endpoint {url.host} answered more than {_MAX_ERROR_BODY} bytes"
                )
            return resp.status, body
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise AuthenticationError(
            f"token endpoint {url.host} unreachable: {type(exc).__name__}"
        ) from exc


async def exchange_code(
    code: str,
    *,
    code_verifier: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str | None = None,
    token_url: URL | str = _TOKEN_URL,
    http: aiohttp.ClientSession | None = None,
) -> TokenSet:
    """Trade an authorization code (PKCE) for tokens at the token endpoint."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": code_verifier,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
    }
    if client_secret is not None:
        form["client_secret"] = client_secret
    url = _check_base_url(token_url, "token_url")  # the code and secrets go there
    if http is not None:
        status, body = await _post_form(http, url, form)
    else:
        async with aiohttp.ClientSession() as own:
            status, body = await _post_form(own, url, form)
    return parse_token_response(status, body)
