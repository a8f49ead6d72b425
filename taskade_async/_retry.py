"""Retry policy: which failures are retried, and how long to wait between attempts.

Pure code: the session asks the policy, the policy never does I/O.
"""

from __future__ import annotations

import random
import time
from typing import Final

import attrs

from ._errors import ValidationError

__all__ = ["RetryPolicy", "parse_retry_after"]

#: Statuses where the server did not act, or failed in a way worth retrying.
_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            import email.utils  # rare path: keeps the import fast

            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _attempts(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{name} must be an int of at least 1 (the first attempt), not {value!r}"
        )


@attrs.frozen(slots=True)
class RetryPolicy:
    """When to retry, and how long to wait.

    A failed attempt is retried only when repeating it is safe: idempotent
    methods (GET, PUT, DELETE) on connection errors, 429 and 5xx; POST and
    PATCH only when the server cannot have acted (429, or the connection failed
    before the request was sent). Waits grow exponentially with full jitter,
    capped by ``max_backoff``; a server's ``Retry-After`` is obeyed (up to
    ``max_retry_after``, beyond which the error is raised instead).
    """

    #: Attempts in all, the first included.
    max_attempts: int = attrs.field(default=5, validator=lambda _, a, v: _attempts(a.name, v))
    base_backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=30.0, validator=attrs.validators.ge(0))
    #: A Retry-After longer than this is not waited for: the 429 is raised.
    max_retry_after: float = attrs.field(default=300.0, validator=attrs.validators.ge(0))
    statuses: frozenset[int] = _RETRY_STATUSES

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes one attempt only."""
        return cls(max_attempts=1)

    def should_retry_status(self, status: int, *, idempotent: bool, attempt: int) -> bool:
        """Whether a response with this status may be retried (attempt counts from 1)."""
        if attempt >= self.max_attempts or status not in self.statuses:
            return False
        # 429: the server refused before acting, whatever the method.
        return idempotent or status == 429

    def should_retry_transport(self, *, idempotent: bool, sent: bool, attempt: int) -> bool:
        """Whether a network failure may be retried; ``sent`` is False for connect errors."""
        if attempt >= self.max_attempts:
            return False
        return idempotent or not sent

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (from 1)."""
        if retry_after is not None:
            return retry_after
        return random.uniform(0, self.ceiling(attempt))

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt ``attempt`` (the jitter picks below it)."""
        return min(self.max_backoff, self.base_backoff * 2.0 ** (attempt - 1))
