"""The aiohttp adapter: one attempt, redirects, bounded reads, the OAuth form post.

The only module of the request path that calls aiohttp. It decides nothing:
the session (``_session.py``) applies what ``_decide.py`` says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Final, Protocol

import aiohttp
from yarl import URL

from ._auth import DEFAULT_TOKEN_URL as _TOKEN_URL
from ._auth import TokenSet, parse_token_response
from ._body import BodySource
from ._errors import (
    AuthenticationError,
    ProtocolError,
    ValidationError,
)
from ._proxies import NO_PROXY, Proxies
from ._targets import check_base_url

__all__ = ["exchange_code"]

_log = logging.getLogger("taskade_async")

MAX_ERROR_BODY: Final = 64 * 1024
_READ_CHUNK: Final = 4 * 1024 * 1024
_MAX_REDIRECTS: Final = 5
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_NO_AUTO_TYPE: Final = frozenset({"Content-Type"})
#: Methods for which aiohttp adds a Content-Type even without a body.
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})


class Counts(Protocol):
    """Where a request the server receives is counted (the session's counters)."""

    requests: int


def _same_origin(a: URL, b: URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _redirect_target(base: URL, location: str | None) -> URL | None:
    """Where a redirect points, or None if its Location is missing or unusable."""
    if not location:
        return None
    try:
        return base.join(URL(location))
    except ValueError:
        return None


def no_resend(http: aiohttp.ClientSession) -> None:
    """Turn off aiohttp's own re-send of idempotent requests on a dropped keep-alive connection.

    aiohttp (3.10+) silently sends a GET or PUT a second time when a reused
    connection fails; the retry policy, the deadline and ``stats`` would not
    know. aiohttp's own test client turns it off the same way.
    """
    if hasattr(http, "_retry_connection"):
        http._retry_connection = False


async def exchange(
    http: aiohttp.ClientSession,
    method: str,
    url: URL,
    headers: dict[str, str],
    body: bytes | BodySource | None,
    limits: aiohttp.ClientTimeout,
    origin: URL,
    counts: Counts,
    trace: object = None,
    proxies: Proxies | None = None,
) -> aiohttp.ClientResponse:
    """One attempt: send, and follow a GET's redirects by hand.

    The bearer token is dropped as soon as a redirect leaves ``origin`` (e.g.
    a download redirected to file storage); every hop is counted in ``counts``.
    ``trace`` is each hop's ``trace_request_ctx`` (for aiohttp's trace configs);
    ``proxies`` says which proxy each hop goes through.
    """
    if isinstance(body, BodySource):
        with body.open() as payload:
            response = await _send(http, method, url, payload, headers, limits, trace, proxies)
    else:  # bytes or nothing: no context to open (the hot path)
        response = await _send(http, method, url, body, headers, limits, trace, proxies)
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
        if not _same_origin(target, origin):
            # Never send the token to another host (e.g. file storage).
            headers = {k: v for k, v in headers.items() if k != "Authorization"}
        counts.requests += 1  # a request the storage server receives
        response = await _send(http, "GET", target, None, headers, limits, trace, proxies)
    return response


def _send(
    http: aiohttp.ClientSession,
    method: str,
    url: URL,
    payload: object,
    headers: dict[str, str],
    limits: aiohttp.ClientTimeout,
    trace: object,
    proxies: Proxies | None,
) -> Awaitable[aiohttp.ClientResponse]:
    """One request of an attempt (to be awaited): no redirects, any status, our proxy."""
    proxy, proxy_headers = proxies.of(url) if proxies is not None and proxies.active else NO_PROXY
    return http.request(
        method,
        url,
        data=payload,
        headers=headers,
        allow_redirects=False,
        raise_for_status=False,  # we map statuses, whatever the ClientSession says
        timeout=limits,
        trace_request_ctx=trace,
        proxy=proxy,
        proxy_headers=proxy_headers,
        # aiohttp would label an empty POST application/octet-stream: send no type.
        skip_auto_headers=_NO_AUTO_TYPE if payload is None and method in _BODY_METHODS else None,
    )


async def read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes | None:
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


async def read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Up to ``limit`` bytes of the body (a single read may return only the first chunk)."""
    parts: list[bytes] = []
    left = limit
    while left > 0 and (chunk := await response.content.read(left)):
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


_FORM_TIMEOUT: Final = aiohttp.ClientTimeout(total=70.0, sock_connect=10.0)


async def post_form(
    http: aiohttp.ClientSession,
    url: URL,
    form: dict[str, str],
    limits: aiohttp.ClientTimeout = _FORM_TIMEOUT,
    proxies: Proxies | None = None,
) -> tuple[int, bytes]:
    """POST a form to a token endpoint; never follows a redirect (it would carry secrets)."""
    proxy, proxy_headers = proxies.of(url) if proxies else NO_PROXY
    try:
        async with http.post(
            url,
            proxy=proxy,
            proxy_headers=proxy_headers,
            data=form,
            headers={"Accept": "application/json"},
            allow_redirects=False,
            raise_for_status=False,  # we map statuses, whatever the ClientSession says
            timeout=limits,
        ) as resp:
            body = await read_capped(resp, MAX_ERROR_BODY)
            if body is None:
                raise AuthenticationError(
                    f"token endpoint {url.host} answered more than {MAX_ERROR_BODY} bytes"
                )
            return resp.status, body
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise AuthenticationError(
            f"token endpoint {url.host} unreachable: {type(exc).__name__}"
        ) from exc


async def exchange_code(
    code: str,
    *,
    code_verifier: str | None = None,
    redirect_uri: str,
    client_id: str,
    client_secret: str | None = None,
    token_url: URL | str = _TOKEN_URL,
    http: aiohttp.ClientSession | None = None,
) -> TokenSet:
    """Trade an authorization code for tokens at the token endpoint.

    ``code_verifier`` is the PKCE verifier of the authorization request; a
    confidential client (with ``client_secret``, sent in the form body) may
    have skipped PKCE and pass none.
    """
    if not code_verifier and client_secret is None:
        raise ValidationError("a public client needs code_verifier (PKCE); or pass client_secret")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
    }
    if code_verifier:
        form["code_verifier"] = code_verifier
    if client_secret is not None:
        form["client_secret"] = client_secret
    url = check_base_url(token_url, "token_url")  # the code and secrets go there
    if http is not None:
        status, body = await post_form(http, url, form)
    else:
        async with aiohttp.ClientSession() as own:
            status, body = await post_form(own, url, form)
    return parse_token_response(status, body)


def log_attempt(method: str, url: URL, what: str, attempt: int, started: float) -> None:
    """Log one attempt's outcome at DEBUG (the caller checks the level first)."""
    _log.debug(
        "%s %s %s (attempt %d, %.1f ms)",
        method,
        url.path,
        what,
        attempt,
        (time.monotonic() - started) * 1000,
    )


async def read_refusal(response: aiohttp.ClientResponse) -> bytes:
    """A bounded excerpt of an error status's body (empty if the read fails); releases it."""
    try:
        return await read_bounded(response, MAX_ERROR_BODY)
    except (aiohttp.ClientError, TimeoutError):
        return b""  # the status alone still says what happened
    finally:
        response.release()
