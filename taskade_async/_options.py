"""Checks of ``Session.with_options``'s arguments (pure: nothing is sent)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

from ._errors import ValidationError
from ._retry import RetryPolicy

__all__ = ["check_deadline", "check_retry", "merge_headers"]

#: Headers the session or the call sets itself: a per-call value would be wrong or unsafe.
RESERVED: Final = frozenset(
    {"authorization", "content-type", "content-length", "host", "transfer-encoding"}
)
#: An HTTP field name (RFC 9110 "token").
_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_BAD_VALUE: Final = re.compile(r"[\r\n\x00]")


def check_deadline(deadline: object) -> float:
    """``deadline`` as seconds, or ValidationError unless it is a finite positive number."""
    if isinstance(deadline, bool) or not isinstance(deadline, int | float):
        raise ValidationError(f"deadline must be a number of seconds, not {deadline!r}")
    if not math.isfinite(deadline) or deadline <= 0:
        raise ValidationError(f"deadline must be positive and finite, not {deadline!r}")
    return float(deadline)


def check_retry(retry: object) -> RetryPolicy:
    """``retry`` itself, or ValidationError unless it is a :class:`RetryPolicy`."""
    if not isinstance(retry, RetryPolicy):
        raise ValidationError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
    return retry


def merge_headers(base: Mapping[str, str], extra: object) -> dict[str, str]:
    """``base`` with ``extra``'s headers added (a name in both: ``extra``'s value wins).

    Names compare case-insensitively. Refused with ValidationError: a name that
    is not an HTTP token, a value that is not a str or holds CR, LF or NUL (it
    would split the request), and the headers the session sets itself
    (``Authorization``, ``Content-Type``, ``Content-Length``, ``Host``,
    ``Transfer-Encoding``).
    """
    if not isinstance(extra, Mapping):
        raise ValidationError(
            f"headers must be a mapping of str to str, not {type(extra).__name__}"
        )
    merged = dict(base)
    for name, value in extra.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError(f"headers: {name!r} is not a valid header name")
        if name.lower() in RESERVED:
            raise ValidationError(f"headers: {name} is set by the session, not per call")
        if not isinstance(value, str) or _BAD_VALUE.search(value):
            raise ValidationError(f"headers: the value of {name} must be a str without CR, LF, NUL")
        for key in [k for k in merged if k.lower() == name.lower()]:
            del merged[key]
        merged[name] = value
    return merged
