"""``trigger_automation``: POST a JSON object to a Taskade automation's inbound webhook.

The automation's URL is a credential: only its redacted form
(``https://www.taskade.com/webhooks/flow/…abcd``) appears in logs and errors.
The account token is never sent there: this does not use the API request path.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any, Final

import aiohttp
from yarl import URL

from ._classify import NOT_SENT as _NOT_SENT
from ._errors import ProtocolError, RequestTimeoutError, TransportError, ValidationError
from ._request import decode_error
from ._session import Session
from ._targets import https_url
from ._transport import read_bounded as _read_bounded

__all__ = ["redact_url", "trigger_automation"]

_log = logging.getLogger("taskade_async")
_MAX_ERROR_BODY: Final = 64 * 1024
#: Characters of the secret id shown at the end of a redacted URL.
_SHOWN: Final = 4


def _secret_part(url: URL) -> str:
    """The path below ``/webhooks/`` (the whole path if it has no such prefix)."""
    path = url.raw_path
    _, found, tail = path.partition("/webhooks/")
    return tail if found else path.lstrip("/")


def redact_url(url: str | URL) -> str:
    """The URL with its secret part hidden but for its last characters."""
    try:
        parsed = URL(str(url))
    except (TypeError, ValueError):
        return "<an unparsable URL>"
    secret = _secret_part(parsed)
    if not parsed.is_absolute():
        return "<a relative URL>"
    origin = str(parsed.origin())
    prefix = parsed.raw_path[: len(parsed.raw_path) - len(secret)]
    # /webhooks/flow/<id>: keep the "flow/" kind, hide the id; any other path: hide it all.
    kind = "flow/" if secret.startswith("flow/") else ""
    ident = secret[len(kind) :].rstrip("/")
    shown = ident[-_SHOWN:] if len(ident) >= 4 * _SHOWN else ""
    return f"{origin}{prefix}{kind}…{shown}"


def _check_url(url: str | URL) -> URL:
    shown = redact_url(url)
    target = https_url(url, "the automation URL", shown)
    if target.query_string or target.fragment:
        raise ValidationError(f"the automation URL must not have a query or fragment: {shown}")
    if not _secret_part(target).strip("/"):
        raise ValidationError(f"the automation URL has no webhook id: {shown}")
    return target


def _encode(payload: Mapping[str, Any]) -> bytes:
    if not isinstance(payload, Mapping):
        raise ValidationError(
            f"the payload must be a JSON object (a dict), not {type(payload).__name__}"
        )
    for key in payload:
        if not isinstance(key, str):
            raise ValidationError(f"payload keys must be str, not {type(key).__name__}: {key!r}")
        if not key or any(c.isspace() for c in key):
            raise ValidationError(f"payload keys must be non-empty, without spaces: {key!r}")
    try:
        text = json.dumps(dict(payload), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"the payload is not JSON-serializable: {exc}") from None
    return text.encode()


async def trigger_automation(
    session: Session,
    url: str | URL,
    payload: Mapping[str, Any],
    *,
    bearer: str | None = None,
) -> None:
    """Start an automation through its inbound webhook URL, with ``payload`` as its variables.

    ``url`` is the automation's ``https://www.taskade.com/webhooks/flow/<id>``;
    ``bearer`` its own secret, if the automation asks for one (never the
    account token, which is not sent). Each top-level key of ``payload``
    becomes a variable of the flow (str keys, no spaces: checked before
    sending). Uses the session's HTTP client, retry policy and deadline, but
    retries only a connection that failed before the request was sent: a
    trigger that may have reached Taskade is never sent twice. Raises the
    :class:`APIError` subclass for any status >= 400, :class:`ProtocolError`
    for a redirect (not followed), :class:`TransportError` on a network failure.
    """
    target = _check_url(url)
    body = _encode(payload)
    shown = redact_url(target)
    secret = _secret_part(target).removeprefix("flow/").strip("/")  # the id, to scrub
    headers = {
        "Content-Type": "application/json",
        "User-Agent": session._headers["User-Agent"],
    }
    if bearer is not None:
        if not bearer or any(c.isspace() for c in bearer):
            raise ValidationError("bearer must be a non-empty token without spaces")
        headers["Authorization"] = f"Bearer {bearer}"
    http = session._client()
    try:
        async with asyncio.timeout(session._deadline):
            status, raw, content_type, answer = await _post(
                session, http, target, headers, body, shown, secret
            )
    except TimeoutError as exc:
        if isinstance(exc, TransportError):
            raise
        raise RequestTimeoutError(
            f"POST {shown}: no answer within the session's deadline ({session._deadline:g} s)",
            method="POST",
            url=shown,
        ) from None
    _log.debug("POST %s -> %d", shown, status)
    if 300 <= status < 400:
        raise ProtocolError(
            f"POST {shown}: answered {status} (a redirect, not followed)",
            method="POST",
            url=shown,
            status=status,
        )
    if status >= 400:
        raise decode_error(
            status,
            raw.replace(secret.encode(), b"..."),
            content_type,
            method="POST",
            url=shown,
            headers=answer,
        )


async def _post(
    session: Session,
    http: aiohttp.ClientSession,
    target: URL,
    headers: dict[str, str],
    body: bytes,
    shown: str,
    secret: str,
) -> tuple[int, bytes, str, dict[str, str]]:
    """Send once; again only after a connection that failed before sending."""
    proxy, proxy_headers = session._proxies.of(target) if session._proxies else (None, None)
    attempt = 0
    while True:
        attempt += 1
        try:
            async with http.post(
                target,
                data=body,
                headers=headers,
                allow_redirects=False,
                raise_for_status=False,
                timeout=session._timeout,
                proxy=proxy,
                proxy_headers=proxy_headers,
            ) as resp:
                raw = b"" if resp.status < 300 else await _read_bounded(resp, _MAX_ERROR_BODY)
                return resp.status, raw, resp.content_type, dict(resp.headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            sent = not isinstance(exc, _NOT_SENT)
            what = f"{type(exc).__name__}: {exc}".replace(secret, "...")
            _log.debug("POST %s failed: %s (attempt %d)", shown, what, attempt)
            if sent or not session.retry.should_retry_transport(
                idempotent=False, sent=False, attempt=attempt
            ):
                error_cls = RequestTimeoutError if isinstance(exc, TimeoutError) else TransportError
                raise error_cls(f"POST {shown}: {what}", method="POST", url=shown) from None
        wait = session.retry.backoff(attempt)
        session._counts.retries += 1
        await asyncio.sleep(wait)
