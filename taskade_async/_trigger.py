"""``trigger_automation``: POST a JSON object to a Taskade automation's inbound webhook.

The automation's URL is a credential: only its redacted form
(``https://www.taskade.com/webhooks/flow/…abcd``) appears in logs and errors.
It goes through the session's request loop (its pace, deadline, counters
and retry decisions) as an "outside" URL: the account token is never sent there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from yarl import URL

from ._errors import APIError, ProtocolError, TaskadeError, ValidationError
from ._request import Operation
from ._session import Outside, Session, send_outside
from ._targets import https_url

__all__ = ["redact_url", "trigger_automation"]

_log = logging.getLogger("taskade_async")
#: What the session's loop (and a trace config) sees of a trigger.
_TRIGGER: Final = Operation("triggerAutomation", "POST", "/webhooks/flow/{id}")
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
    sending). Goes through the session's request loop (its counters, retry
    policy and deadline; never its account token, and not the API's pace: the
    automation is another budget), but
    retries only a connection that failed before the request was sent: a
    trigger that may have reached Taskade is never sent twice. Raises the
    :class:`APIError` subclass for any status >= 400, :class:`ProtocolError`
    for a redirect (not followed), :class:`TransportError` on a network failure.
    """
    target = _check_url(url)
    body = _encode(payload)
    shown = redact_url(target)
    secret = _secret_part(target).removeprefix("flow/").strip("/")  # the id, to scrub
    authorization = None
    if bearer is not None:
        if not bearer or any(c.isspace() for c in bearer):
            raise ValidationError("bearer must be a non-empty token without spaces")
        authorization = f"Bearer {bearer}"
    outside = Outside(URL(shown, encoded=True), secret)
    try:
        await send_outside(session, _TRIGGER, target, body, outside, authorization)
    except TaskadeError as exc:
        _log.debug("POST %s failed: %s", shown, exc)
        if not isinstance(exc, APIError) or not 300 <= exc.status < 400:
            raise
        raise ProtocolError(
            f"POST {shown}: answered {exc.status} (a redirect, not followed)",
            method="POST",
            url=shown,
            status=exc.status,
        ) from None
    _log.debug("POST %s: triggered", shown)
