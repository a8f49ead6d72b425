"""What one attempt came to: pure functions from what happened to (error, :class:`Attempt`).

A failed connection or send, a 2xx answer that broke off or is not the
documented shape, an error status: each becomes the typed error the caller
would see and the facts ``_decide`` rules on. No I/O: ``_transport`` reads,
the session (``_session.py``) calls these with what was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import aiohttp
from yarl import URL

from ._body import BodySource
from ._decide import Attempt, Failure, body_kind
from ._errors import (
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    TaskadeError,
    TransportError,
)
from ._request import Operation, decode_error, decode_json
from ._retry import parse_retry_after

__all__ = ["GARBLED", "NOT_SENT", "failed_facts", "refused_facts", "unusable_facts"]

#: Failures that happen before the request reached the server.
NOT_SENT: Final = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)

#: A 2xx body ``json.loads`` refused (retried like a reset mid-body when that is safe).
GARBLED: Final[Any] = object()


def transport_error(exc: BaseException, method: str, url: URL, secret: str = "") -> TransportError:
    """The typed error for a failed connection, send or read (``secret`` scrubbed from it)."""
    what = type(exc).__name__
    if isinstance(exc, TimeoutError):
        return RequestTimeoutError(
            f"{method} {url}: timed out ({what})", method=method, url=str(url)
        )
    said = f"{exc}".replace(secret, "...") if secret else exc
    return TransportError(f"{method} {url}: {what}: {said}", method=method, url=str(url))


def failed_facts(
    exc: BaseException,
    op: Operation,
    url: URL,
    body: bytes | BodySource | None,
    attempt: int,
    secret: str = "",
) -> tuple[TaskadeError, Attempt]:
    """The error and the facts of an attempt whose connection failed.

    ``url`` is the URL as errors show it; ``secret`` is scrubbed from the error.
    """
    error = transport_error(exc, op.method, url, secret)
    error.__cause__ = exc
    failure = Failure.CONNECT if isinstance(exc, NOT_SENT) else Failure.SEND
    return error, Attempt(attempt, op.idempotent, body_kind(body, answered=False), failure)


def unusable_facts(
    raw: bytes | BaseException | None,
    payload: Any,
    status: int,
    content_type: str,
    op: Operation,
    url: URL,
    body: bytes | BodySource | None,
    cap: int,
    attempt: int,
) -> tuple[TaskadeError, Attempt]:
    """The error and the facts of a 2xx answer that broke off, or is not the documented shape.

    ``raw`` is the body (None: longer than ``cap``) or the read's failure;
    ``payload`` what ``json.loads`` made of it (GARBLED: not JSON at all).
    """
    method, kind = op.method, body_kind(body, answered=True)
    if isinstance(raw, BaseException):
        error: TaskadeError = transport_error(raw, method, url)
        error.__cause__ = raw
        return error, Attempt(attempt, op.idempotent, kind, Failure.READ)
    if raw is None:
        error = ProtocolError(
            f"{method} {url} -> {status}: the answer is longer than "
            f"max_response_bytes ({cap} bytes)",
            method=method,
            url=str(url),
            status=status,
        )
        return error, Attempt(attempt, op.idempotent, kind, Failure.INVALID)
    try:
        decode_json(raw, status=status, content_type=content_type, method=method, url=str(url))
    except ProtocolError as exc:
        failure = Failure.GARBLED if payload is GARBLED else Failure.INVALID
        return exc, Attempt(attempt, op.idempotent, kind, failure)
    raise AssertionError("decode_json accepted a body the fast path refused")  # pragma: no cover


def refused_facts(
    status: int,
    raw: bytes,
    content_type: str,
    headers: Mapping[str, str],
    op: Operation,
    url: URL,
    body: bytes | BodySource | None,
    attempt: int,
) -> tuple[TaskadeError, Attempt]:
    """The error and the facts of an error status, from (an excerpt of) its body ``raw``."""
    method = op.method
    error = decode_error(status, raw, content_type, method=method, url=str(url), headers=headers)
    if isinstance(error, RateLimitError):
        retry_after = error.retry_after  # parsed once, by decode_error
    else:
        retry_after = parse_retry_after(headers.get("Retry-After"))
    kind = body_kind(body, answered=True)
    return error, Attempt(attempt, op.idempotent, kind, Failure.STATUS, status, retry_after)
