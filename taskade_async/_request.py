"""Pure request building and response decoding: no I/O, no event loop.

An :class:`Operation` is built once per endpoint at import time (by the
generated ``api`` modules); rendering its path for given ids is a join of
pre-split pieces and one ``quote`` per id.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from typing import Any, Final, Literal, TypeGuard
from urllib.parse import quote

import attrs

from ._errors import (
    APIError,
    ProtocolError,
    RateLimitError,
    TaskadeError,
    TransportError,
    ValidationError,
    error_class,
)
from ._retry import parse_retry_after

__all__ = [
    "Operation",
    "accepted",
    "conclude",
    "decode_error",
    "decode_json",
    "encode_query",
    "encode_segment",
]

_PARAM = re.compile(r"\{([^{}/]+)\}")
#: Methods that may be repeated without changing the outcome (RFC 9110 9.2.2).
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_BODY_EXCERPT: Final = 200
#: Ids made only of these characters are sent as they are (no dots: see encode_segment).
_PLAIN: Final = re.compile(r"[A-Za-z0-9_\-]+").fullmatch
#: What ends a URL's path, or is dropped from it, when a URL parser reads it.
_NOT_PATH: Final = frozenset("?#\t\r\n")
#: C0 and C1 control characters and DEL: no id holds them.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]").search


def encode_segment(value: str, name: str) -> str:
    """Percent-encode one id as exactly one path segment, or refuse it.

    ``/``, ``?``, ``#`` and ``%`` are encoded, so an id can never reach another
    endpoint. A blank id, one holding control characters, and the dot segments
    ``.`` and ``..`` (which URL parsers collapse even when percent-encoded) are
    refused.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a str, not {type(value).__name__}")
    if _PLAIN(value) is not None:
        return value  # the usual id: nothing to encode
    if value in ("", ".", "..") or value.isspace():
        raise ValidationError(f"{name} must be a non-blank id other than '.' and '..': {value!r}")
    if _CONTROL(value) is not None:
        raise ValidationError(f"{name} must not hold control characters: {value!r}")
    try:
        return quote(value, safe="")
    except UnicodeEncodeError:
        raise ValidationError(f"{name} is not valid Unicode text (lone surrogate)") from None


def _query_value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def encode_query(query: Mapping[str, Any]) -> str:
    """``a=1&b=x%2Fy`` from wire names to values; ``None`` values are left out."""
    return "&".join(
        f"{quote(key, safe='')}={quote(_query_value(value), safe='')}"
        for key, value in query.items()
        if value is not None
    )


@attrs.frozen(slots=True)
class Operation:
    """One endpoint of the API: its method, path template and retry safety.

    ``path`` is the spec's template (``/projects/{projectId}/tasks/{taskId}``),
    relative to the root of its ``api`` (``v1``: the session's base URL; ``v2``:
    its v2 root). ``idempotent`` (whether a failed attempt may be repeated) goes
    by the method unless ``retry_safe`` says what the operation does (v2 reads
    are POSTs). ``min_deadline``: the call's default deadline is at least this.
    """

    operation_id: str
    method: str
    path: str
    api: Literal["v1", "v2"] = "v1"
    retry_safe: bool | None = attrs.field(default=None, repr=False)
    min_deadline: float = attrs.field(default=0.0, repr=False)
    #: The template split around its parameters: literal, param, literal, ...
    _pieces: tuple[str, ...] = attrs.field(init=False, repr=False)
    _params: tuple[str, ...] = attrs.field(init=False, repr=False)
    idempotent: bool = attrs.field(init=False)
    #: Whether a URL parser would take the template's text as path only (no ``?``,
    #: ``#``, tab or line break in it): then ``Session.url`` need not parse it.
    plain_path: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        parts = _PARAM.split(self.path)
        object.__setattr__(self, "_pieces", tuple(parts[0::2]))
        object.__setattr__(self, "plain_path", _NOT_PATH.isdisjoint(self.path))
        object.__setattr__(self, "_params", tuple(parts[1::2]))
        safe = self.method in _IDEMPOTENT if self.retry_safe is None else self.retry_safe
        object.__setattr__(self, "idempotent", safe)

    @property
    def path_params(self) -> tuple[str, ...]:
        """Names of the path parameters, in path order."""
        return self._params

    def render(self, args: tuple[str, ...]) -> str:
        """The encoded path for these ids; raises ValidationError for a bad id."""
        params = self._params
        if len(args) != len(params):
            raise ValidationError(
                f"{self.operation_id} takes {len(params)} path arguments, got {len(args)}"
            )
        pieces = self._pieces
        if not params:
            return pieces[0]
        out = [pieces[0]]
        for i, arg in enumerate(args):
            # The usual id goes as it is: what encode_segment returns for it, without the call.
            plain = type(arg) is str and _PLAIN(arg) is not None
            out.append(arg if plain else encode_segment(arg, params[i]))
            out.append(pieces[i + 1])
        return "".join(out)


def _excerpt(body: bytes) -> str:
    return body[:_BODY_EXCERPT].decode("utf-8", "replace")


def _unparsable(exc: BaseException | None, content_type: str) -> str:
    """What was wrong with a body ``json.loads`` refused (ValueError or RecursionError)."""
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to decode"
    if isinstance(exc, UnicodeDecodeError):
        return "bytes that are not UTF-8 text"
    return "truncated or invalid JSON" if "json" in content_type else content_type or "no type"


def accepted(payload: Any) -> TypeGuard[dict[str, Any]]:
    """The 2xx acceptance rule: the answer is a JSON object with ``"ok": true``."""
    return type(payload) is dict and payload.get("ok") is True


def decode_json(
    body: bytes, *, status: int, content_type: str, method: str, url: str
) -> dict[str, Any]:
    """Decode a 2xx body: a JSON object with ``ok: true``, or a ProtocolError."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        # RecursionError: hostile nesting (a 200,000-deep array) fails here, not in the caller.
        problem = f"expected a JSON object, got {_unparsable(exc, content_type)}"
    else:
        if accepted(payload):
            return payload
        if not isinstance(payload, dict):
            problem = f"expected a JSON object, got {type(payload).__name__}"
        else:
            said = ""
            if payload.get("ok") is False:
                said = f" ({payload.get('code')}: {payload.get('message')})"
            problem = f'success status without "ok": true{said}'
    raise ProtocolError(
        f"{method} {url} -> {status}: {problem}",
        method=method,
        url=url,
        status=status,
        body_excerpt=_excerpt(body),
    ) from None


def decode_error(
    status: int,
    body: bytes,
    content_type: str,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    payload: Any = None,
) -> APIError:
    """The typed error for an error response (any status, any body)."""
    what = _unparsable(None, content_type)
    if payload is None:
        try:
            payload = json.loads(body) if body else None
        except (ValueError, RecursionError) as exc:
            payload = None
            what = _unparsable(exc, content_type)
    fields: dict[str, Any] = payload if isinstance(payload, dict) else {}

    def text(key: str) -> str | None:
        value = fields.get(key)
        return value if isinstance(value, str) else None

    message = text("message")
    malformed = not isinstance(payload, dict)
    if malformed:
        message = f"not the documented JSON error ({what}): {_excerpt(body)!r}"
    cls = error_class(status, malformed=malformed)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": text("code"),
        "message": message,
        "status_message": text("statusMessage"),
        "method": method,
        "url": url,
        "body": payload,
        "headers": headers,
    }
    error: APIError
    if issubclass(cls, RateLimitError):
        retry_after = parse_retry_after(headers.get("Retry-After") if headers else None)
        error = cls(retry_after=retry_after, **kwargs)
    else:
        error = cls(**kwargs)
    if malformed:
        error.body_excerpt = _excerpt(body)
    return error


def conclude(error: TaskadeError, attempts: int, *, sent: bool, idempotent: bool) -> TaskadeError:
    """Say on the error that ends a call how many attempts were made (in ``attempts`` and text).

    A transport error also says whether the request may have reached the server
    (``sent``: some attempt may have); for a call that is not safe to repeat,
    its message then says it may have been applied.
    """
    if error.attempts or not attempts:
        return error  # already said, or nothing was sent
    error.attempts = attempts
    note = f"{attempts} attempt{'' if attempts == 1 else 's'}"
    if isinstance(error, TransportError):
        error.may_have_applied = sent
        if sent and not idempotent:
            note += "; it may have been applied: check before sending it again"
    if error.args and isinstance(error.args[0], str):
        error.args = (f"{error.args[0]} ({note})", *error.args[1:])
    return error
