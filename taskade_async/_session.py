"""``Session``: the one request path every API call goes through.

It applies, in one loop, what the pure decisions of ``_decide`` say about each
attempt that ``_transport`` (the only module here that calls aiohttp) made.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, overload

import aiohttp
import attrs
from yarl import URL

from . import _json, _options, _settings
from ._auth import Auth
from ._body import BodySource, RawBody
from ._classify import GARBLED, failed_facts, refused_facts, unusable_facts
from ._closing import Closing
from ._deadlines import _Deadlines, _Tally, closed_error, paused_error, timed_out
from ._decide import (
    Act,
    Attempt,
    Verdict,
    after_renewal,
    decide,
    hold,
    refused,
    server_acted,
)
from ._download import Download
from ._errors import TaskadeError, ValidationError
from ._proxies import Proxies
from ._request import Operation, accepted, conclude, encode_query
from ._retry import RetryPolicy
from ._settings import DEFAULT_BASE_URL, DEFAULT_DOWNLOAD_MIN_RATE, DEFAULT_MAX_RESPONSE_BYTES
from ._stats import Counts, SessionStats
from ._throttle import Throttle
from ._transport import (
    exchange,
    exchange_code,
    log_attempt,
    no_resend,
    post_form,
    read_capped,
    read_refusal,
)
from ._warn import WarnGate, warn

__all__ = ["DEFAULT_BASE_URL", "Session", "exchange_code"]

_log = logging.getLogger("taskade_async")
_JSON_HEADERS: Final = {"Content-Type": "application/json"}
_NO_BODY: Final[Any] = object()


class Session(Closing):
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
    - ``download_min_rate``: bytes per second a download's body must keep up,
      on average, once the call's deadline has passed (a big file goes on, a
      stalled or dripping one fails with RequestTimeoutError); 0: the deadline
      bounds the whole transfer.
    - ``user_agent``: replaces ``taskade-async/<version> aiohttp/... python/...``.
    - ``trust_env``: use the proxies of ``HTTP_PROXY`` / ``HTTPS_PROXY`` /
      ``NO_PROXY`` (credentials from the proxy URL or ``~/.netrc``), read when
      the session opens, as requests and httpx do; False: connect directly.
    - ``trace_configs``: ``aiohttp.TraceConfig`` objects (OpenTelemetry's
      aiohttp instrumentation, ...); each request's ``trace_request_ctx`` is
      its :class:`Operation` (``.operation_id``, ``.method``, ``.path``).
    - ``http``: your own ``aiohttp.ClientSession``, used as it is (its connector
      limits, ``trust_env`` and trace configs apply) and not closed by us.
      Its silent re-send of an idempotent request on a dropped keep-alive
      connection is turned off: every request the server receives is one the
      retry policy chose (and ``stats`` counts).
    """

    #: True on a view given deadline=: it is the caller's choice, even below an
    #: operation's minimum (agents.prompt's 120 s).
    _chosen_deadline = False

    #: How the loop waits before a retry (tests record the waits instead of taking them).
    _sleep = staticmethod(asyncio.sleep)

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
        trust_env: bool = True,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        download_min_rate: float = DEFAULT_DOWNLOAD_MIN_RATE,
    ) -> None:
        auth = _settings.resolve_auth(token, auth)
        _settings.check_limits(deadline, max_connections, max_response_bytes)
        self._trust_env = trust_env
        self._proxies = Proxies()  # filled when we open our own client (views share it)
        self._trace_configs = _settings.trace_configs(trace_configs, http)
        self._auth = auth
        self.base_url, self._v2_base = _settings.resolve_roots(base_url, v2_base_url)
        self._base = str(self.base_url)
        self._v1_parts = _settings.split_root(self._base)
        self._v2_parts = None if self._v2_base is None else _settings.split_root(self._v2_base)
        self._http = http
        self._owns_http = http is None
        if http is not None:
            no_resend(http)
        self._deadline = deadline
        self._max_response_bytes = max_response_bytes
        if not download_min_rate >= 0:
            raise ValidationError("download_min_rate must be 0 or more (bytes per second)")
        self._download_min_rate = float(download_min_rate)
        self._timeout, self._stream_timeout, self._form_timeout = _settings.timeouts(
            connect_timeout, read_timeout
        )
        self._max_connections = max_connections
        self.retry = retry if retry is not None else RetryPolicy()
        # Requests queue in the throttle (where they can be paced), not in the pool.
        pool = max_connections if http is None else http.connector.limit if http.connector else 0
        self.throttle = Throttle(rate_limit, burst=rate_burst, in_flight=pool or None)
        self._deadlines = _Deadlines()
        self._headers = _settings.headers(user_agent)
        self._counts = Counts()
        #: A header ready without I/O, else None (then ``authorization`` is awaited).
        self._header_now: Callable[[], str | None] = getattr(auth, "header_now", None) or _none
        self._warn_gate = WarnGate()
        #: The tasks of the calls in flight, ended with SessionClosedError by close().
        self._calls: dict[asyncio.Task[Any], None] = {}
        self._closing: set[asyncio.Task[Any]] = set()

    @property
    def stats(self) -> SessionStats:
        """Counters for monitoring, as a snapshot: requests sent, retries, 429s seen."""
        return self._counts.snapshot()

    def __repr__(self) -> str:
        return f"<Session {self._base} auth={self._auth!r}>"

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> Session:
        await self.open()
        return self

    async def open(self) -> None:
        """Create the HTTP client (``async with`` does this for you)."""
        if self._http is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0)
            self._http = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                raise_for_status=False,
                trace_configs=self._trace_configs,
            )
            if self._trust_env:
                self._proxies.read_environment()  # once: not per request, as aiohttp would
            self._owns_http = True
            no_resend(self._http)

    async def close(self) -> None:
        """Close the HTTP client if this session created it.

        Calls still in flight end at once with :class:`SessionClosedError`.
        """
        current = asyncio.current_task()
        for task in list(self._calls):
            if task is not current and not task.done():
                self._closing.add(task)
                task.cancel()
        http, self._http = self._http, None
        if http is not None and self._owns_http:
            await http.close()

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            raise RuntimeError("the session is not open: use 'async with Session(...)'")
        return self._http

    def with_options(
        self,
        *,
        deadline: float | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Session:
        """A view of this session for some calls, with other settings.

        The view shares the connection pool, throttle, credentials and
        ``stats`` of the session (nothing is opened or copied); what is not
        given stays as it is. Pass it wherever a session goes::

            urgent = s.with_options(deadline=5)          # each call: 5 s in all
            await tasks.get(urgent, project_id, task_id)
            once = s.with_options(retry=tk.RetryPolicy(max_attempts=1))  # no retries
            tagged = s.with_options(headers={"X-Trace": "nightly-export"})

        A view's ``deadline`` applies to every call, ``agents.prompt`` too
        (which a session gives at least 120 s). ``headers`` are added to
        every request of the view (they replace the
        session's own of the same name, e.g. ``User-Agent``); the ones the
        session sets itself (``Authorization``, ``Content-Type``, ...) are
        refused. Bad arguments raise ValidationError. Views close nothing:
        the session still owns the pool (``async with`` a view does nothing).
        """
        view = copy.copy(self)
        view.__class__ = _View
        assert isinstance(view, _View)
        view._root = self._root if isinstance(self, _View) else self
        if deadline is not None:
            view._deadline = _options.check_deadline(deadline)
            view._chosen_deadline = True
        if retry is not None:
            view.retry = _options.check_retry(retry)
        if headers is not None:
            view._headers = _options.merge_headers(self._headers, headers)
        view._deadlines = _Deadlines()  # its own calls, all with its budget, on its own timer
        return view

    # -- the request path ----------------------------------------------------------

    def url(self, op: Operation, args: tuple[str, ...], query: Mapping[str, Any] | None) -> URL:
        """The full URL of ``op`` for these ids and query (raises ValidationError)."""
        if op.api == "v1":
            scheme, authority, prefix = self._v1_parts
        else:
            scheme, authority, prefix = self._v2_parts or _settings.no_v2_root(self._base)
        path = prefix + op.render(args)
        qs = encode_query(query) if query else ""
        if not op.plain_path:  # a template with a query of its own (not the API's): parse it
            root = f"{scheme}://{authority}{path}"
            return URL(f"{root}?{qs}" if qs else root, encoded=True)
        # The ids and the query are percent-encoded (no ?, # or control characters) and
        # the root is a checked URL: the parts as they are, with no parse of their text.
        return URL.build(
            scheme=scheme, authority=authority, path=path, query_string=qs, encoded=True
        )

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

        The way to the server's JSON as received: ``op`` is a generated
        constant (``await s.request(tasks.TASK_GET, (project_id, task_id))``),
        ``args`` its path ids in path order, ``query`` the query parameters
        in the API's spelling. ``json`` is a JSON body; ``data`` a raw body
        (streamed) with its ``content_type``. With neither, no body at all is
        sent. ``deadline`` replaces the session's for this call.
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
        if deadline is None and op.min_deadline > self._deadline and not self._chosen_deadline:
            deadline = op.min_deadline  # e.g. promptAgent, which runs an LLM
        return await self._call(op, url, headers, body, stream, deadline)

    async def _call(
        self,
        op: Operation,
        url: URL,
        headers: dict[str, str],
        body: bytes | BodySource | None,
        stream: bool,
        deadline: float | None,
        outside: Outside | None = None,
    ) -> dict[str, Any] | Download:
        """One call: its deadline, its place among the calls a close ends, its typed error."""
        budget = self._deadline if deadline is None else deadline
        if budget <= 0:
            raise ValidationError("deadline must be positive")
        deadline_at = time.monotonic() + budget  # the throttle's clock too
        tally: _Tally | None = None
        task = asyncio.current_task()
        if task is not None:
            self._calls[task] = None
        try:
            if deadline is not None:
                tally = _Tally()
                async with asyncio.timeout(budget):
                    return await self._send(
                        op, url, headers, body, stream, deadline_at, tally, outside
                    )
            # The session's own budget: one shared timer (see _Deadlines), not one per call.
            call = tally = self._deadlines.enter(budget, task)
            try:
                return await self._send(op, url, headers, body, stream, deadline_at, call, outside)
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
            raise timed_out(op, _shown(url, outside), budget, tally) from None
        except asyncio.CancelledError:
            if task not in self._closing:
                raise
            self._closing.discard(task)
            if task is not None:
                task.uncancel()
            raise closed_error(op, _shown(url, outside), tally) from None
        finally:
            self._calls.pop(task, None)  # type: ignore[arg-type]

    async def _send(
        self,
        op: Operation,
        url: URL,
        headers: dict[str, str],
        body: bytes | BodySource | None,
        stream: bool,
        deadline_at: float,
        tally: _Tally,
        outside: Outside | None = None,
    ) -> dict[str, Any] | Download:
        """The attempts of one call: pace, send, classify, decide; the loop of every request.

        ``outside``: the URL is not the API's (an automation's webhook): no
        account token, no renewal, and errors and logs show ``outside.shown``.
        """
        http, counts, method, throttle = self._client(), self._counts, op.method, self.throttle
        proxies = self._proxies
        timeout = self._stream_timeout if stream and outside is None else self._timeout
        shown = _shown(url, outside)
        attempt, renewed, auth = 0, outside is not None, ""
        while True:
            attempt += 1
            if (held := throttle.paused_until) >= deadline_at:
                raise paused_error(method, shown, held - time.monotonic())
            # Nothing to wait for: enter without an await (the hot path).
            if not throttle.enter_if_idle():
                await throttle.acquire()
            try:
                if outside is None:
                    auth = self._header_now() or await self._auth.authorization(self._post_form)
                    headers["Authorization"] = auth
                counts.requests += 1
                started = tally.begin(attempt)
                response = await exchange(
                    http, method, url, headers, body, timeout, self.base_url, counts, op, proxies
                )
            except (aiohttp.ClientError, TimeoutError) as exc:
                secret = "" if outside is None else outside.secret
                error, what = failed_facts(exc, op, shown, body, attempt, secret)
                self._note(what, method, shown, started, tally, outside, exc)
                response = None
            finally:
                throttle.release()  # answered or failed: no longer in flight
            if response is None:
                pass  # error and what say how the connection failed
            elif (status := response.status) < 300:
                throttle.answered(started)
                if _log.isEnabledFor(logging.DEBUG):
                    log_attempt(method, shown, f"-> {status}", attempt, started)
                if stream:
                    if outside is not None:
                        response.release()  # any 2xx: the automation took it
                        return {}
                    return Download(
                        response, deadline_at=deadline_at, min_rate=self._download_min_rate
                    )
                try:
                    raw: Any = await read_capped(response, self._max_response_bytes)
                    payload = None if raw is None else _json.loads(raw)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    raw = payload = exc
                except ValueError:
                    payload = GARBLED  # truncated, not JSON, not UTF-8
                except RecursionError:
                    payload = None  # hostile nesting: decode_json says so
                finally:
                    response.release()
                if accepted(payload):
                    return payload
                cap = self._max_response_bytes
                error, what = unusable_facts(
                    raw, payload, status, response.content_type, op, url, body, cap, attempt
                )
            else:
                raw = await read_refusal(response)
                if outside is not None:
                    raw = raw.replace(outside.secret.encode(), b"...")
                error, what = refused_facts(
                    status, raw, response.content_type, response.headers, op, shown, body, attempt
                )
                self._note(what, method, shown, started, tally, outside)
            renewed = await self._after(error, what, renewed, auth, deadline_at)

    async def _after(
        self, error: TaskadeError, what: Attempt, renewed: bool, auth: str, deadline_at: float
    ) -> bool:
        """Apply the verdict on a failed attempt: raise ``error``, or wait; whether renewed.

        The one place where verdicts take effect (and retries are counted).
        """
        if renewed:
            what = attrs.evolve(what, renewed=True)
        verdict = self._verdict(what, deadline_at)
        if verdict.act is Act.RENEW:
            refreshed = await self._auth.unauthorized(self._post_form, auth)
            what = attrs.evolve(what, renewed=True)
            if after_renewal(refreshed, what.body) is not None:
                return True  # again at once, with the new credentials: not a retry
            verdict = self._verdict(what, deadline_at)
        if verdict.act is Act.RAISE:
            raise error
        self._counts.retries += 1
        if what.status != 429:  # a 429's retry is said with its slow-down or hold
            warn(
                self._warn_gate,
                "retry",
                time.monotonic(),
                "retrying after a failed attempt (%s); attempt %d in %.1f s",
                f"status {what.status}" if what.status else what.failure.value,
                what.number + 1,
                verdict.wait,
            )
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "retrying in %.3f s (attempt %d failed: %s)", verdict.wait, what.number, error
            )
        await self._sleep(verdict.wait)
        return what.renewed

    def _verdict(self, what: Attempt, deadline_at: float) -> Verdict:
        return decide(
            self.retry, what, now=time.monotonic(), deadline_at=deadline_at, jitter=random.random()
        )

    def _note(
        self,
        what: Attempt,
        method: str,
        url: URL,
        started: float,
        tally: _Tally,
        outside: Outside | None,
        exc: BaseException | None = None,
    ) -> None:
        """Record what a failed attempt tells: whether the server acted, the 429 pace, a log."""
        status = what.status
        if not server_acted(what):
            tally.not_acted()
        answer = refused(status)
        if answer is True:
            self._counts.rate_limited += 1
            held = hold(self.retry, what.retry_after)
            did = self.throttle.answered(started, True, held)  # the one reaction
            if did is not None and outside is None:  # an automation's throttle: nothing to say
                self._said(did, what.retry_after, held)
        elif answer is False:
            self.throttle.answered(started)  # a refusal, but an answer: not overloaded
        if _log.isEnabledFor(logging.DEBUG):
            # str(), not repr(): some aiohttp errors' repr shows the request headers.
            said = f"failed: {type(exc).__name__}: {exc}" if exc else f"-> {status}"
            if outside is not None and outside.secret:
                said = said.replace(outside.secret, "...")
            log_attempt(method, url, said, what.number, started)

    def _said(self, did: str, retry_after: float | None, held: float | None) -> None:
        """A WARNING line (rate-limited) for what a 429 made the pace do."""
        now = time.monotonic()
        if did == "slow":
            rate = self.throttle.rate
            pace = "unpaced" if rate is None else f"{rate:.1f} requests/s"
            warn(self._warn_gate, did, now, "rate limited (429): slowing down to %s", pace)
        elif did == "hold":
            capped = "" if retry_after == held else f" (Retry-After {retry_after:g} s, capped)"
            until = max(0.0, self.throttle.paused_until - now)
            warn(
                self._warn_gate,
                did,
                now,
                "rate limited (429): holding the session %.1f s%s",
                until,
                capped,
            )
        elif did == "noise":
            warn(
                self._warn_gate,
                did,
                now,
                "429s at random whatever the pace (%.0f%% refused): not slowing down further",
                100 * self.throttle.model.noise,
            )

    async def _post_form(self, url: URL, form: dict[str, str]) -> tuple[int, bytes]:
        """POST a form to an OAuth2 token endpoint, without the auth layer."""
        return await post_form(self._client(), url, form, self._form_timeout, self._proxies)


class _View(Session):
    """A :class:`Session` with other per-call settings (see ``Session.with_options``)."""

    _root: Session

    def __repr__(self) -> str:
        return f"<Session view of {self._root!r}>"

    async def open(self) -> None:
        """Nothing: the session the view came from owns the connection pool."""

    async def close(self) -> None:
        """Nothing: the session the view came from owns the connection pool."""

    def _client(self) -> aiohttp.ClientSession:
        return self._root._client()


def _none() -> None:
    return None


def _shown(url: URL, outside: Outside | None) -> URL:
    """The URL errors and logs may show: an outside URL only redacted."""
    return url if outside is None else outside.shown


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@attrs.frozen(slots=True)
class Outside:
    """A URL outside the API that the session's loop sends to (an automation's webhook).

    ``shown`` is the URL as errors and logs show it; ``secret`` never appears
    in either.
    """

    shown: URL
    secret: str = attrs.field(repr=False)


#: Statuses are never retried outside the API: a request that was answered is not sent again.
_NO_STATUS_RETRY: Final = frozenset[int]()


async def send_outside(
    session: Session,
    op: Operation,
    url: URL,
    body: bytes,
    outside: Outside,
    authorization: str | None = None,
) -> None:
    """POST ``body`` (JSON) to ``url`` through the session's loop, deadline and counters.

    Never sends the account token (``authorization`` is the target's own, if
    any); retries only what never reached the server (statuses are not
    retried); raises the call's typed error, naming only ``outside.shown``.
    """
    view = session.with_options(retry=attrs.evolve(session.retry, statuses=_NO_STATUS_RETRY))
    # Another host, another budget: the API token's pace neither delays an automation
    # nor learns from its 429s (which would slow or hold the session's API calls).
    view.throttle = Throttle()
    headers = {"Content-Type": "application/json", "User-Agent": session._headers["User-Agent"]}
    if authorization is not None:
        headers["Authorization"] = authorization
    await view._call(op, url, headers, body, True, None, outside)
