"""What to do after an attempt that did not succeed: pure functions of what happened.

The session (``_session.py``) describes the failed attempt as an
:class:`Attempt` and applies the :class:`Verdict` it gets back; nothing here
does I/O, reads a clock or draws a random number (the caller passes ``now``
and ``jitter``), so the whole table is tested without a socket.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs

from ._body import BodySource
from ._retry import RetryPolicy

__all__ = [
    "Act",
    "Attempt",
    "Body",
    "Failure",
    "Verdict",
    "body_kind",
    "decide",
    "may_resend",
    "refused",
    "server_acted",
]


class Body(enum.Enum):
    """What the request carries, as far as sending it again is concerned."""

    NONE = "none"
    BYTES = "bytes"  # JSON or other bytes in memory
    REPLAYABLE = "replayable"  # a file or bytes-like source that can be rewound
    ONE_SHOT = "one-shot"  # a stream (async iterator, pipe) not read at all yet
    ONE_SHOT_READ = "one-shot, read"  # a stream some of which may have gone


def body_kind(body: bytes | BodySource | None, *, answered: bool) -> Body:
    """The kind of ``body`` after an attempt; ``answered``: the server sent a status.

    A one-shot stream counts as read once any chunk of it was taken, or once
    the server answered at all (it may have read part of it).
    """
    if body is None:
        return Body.NONE
    if not isinstance(body, BodySource):
        return Body.BYTES
    if body.replayable:
        return Body.REPLAYABLE
    return Body.ONE_SHOT_READ if answered or body.consumed else Body.ONE_SHOT


def may_resend(body: Body) -> bool:
    """The one rule for bodies: anything may go again but a one-shot stream already read."""
    return body is not Body.ONE_SHOT_READ


class Failure(enum.Enum):
    """How an attempt failed."""

    CONNECT = "connect"  # no connection: the request never left
    SEND = "send"  # the connection failed after the request may have been sent
    READ = "read"  # a 2xx answer broke off mid-body
    GARBLED = "garbled"  # a 2xx answer that is not JSON at all (truncated, not UTF-8)
    INVALID = "invalid"  # a 2xx answer too long, or JSON of the wrong shape: never repeated
    STATUS = "status"  # an error status (3xx/4xx/5xx) came back


class Act(enum.Enum):
    """What the session does next."""

    RETRY = "retry"  # wait ``Verdict.wait`` seconds, then attempt again
    RENEW = "renew"  # a 401: renew the credentials, then decide again with renewed=True
    RAISE = "raise"  # raise the attempt's error


@attrs.frozen(slots=True)
class Attempt:
    """What happened on one failed attempt."""

    number: int  #: from 1
    idempotent: bool  #: the operation is safe to repeat (GET, PUT, DELETE)
    body: Body
    failure: Failure
    status: int = 0  #: with Failure.STATUS
    retry_after: float | None = None  #: the server's Retry-After, in seconds
    renewed: bool = False  #: the credentials were renewed already in this call


@attrs.frozen(slots=True)
class Verdict:
    """The decision: ``act``; with RETRY, after ``wait`` seconds."""

    act: Act
    wait: float = 0.0


RAISE: Final = Verdict(Act.RAISE)
RENEW: Final = Verdict(Act.RENEW)
AGAIN: Final = Verdict(Act.RETRY)  # at once: after a renewal


def decide(
    policy: RetryPolicy, attempt: Attempt, *, now: float, deadline_at: float, jitter: float
) -> Verdict:
    """The verdict on a failed attempt, ``now`` and ``deadline_at`` on one clock.

    ``jitter`` (in [0, 1)) picks the wait within the backoff ceiling when the
    server gave no Retry-After.
    """
    failure = attempt.failure
    if failure is Failure.INVALID:
        return RAISE  # the same request would get the same answer
    if failure is Failure.STATUS and attempt.status == 401 and not attempt.renewed:
        return RENEW  # renewed even for a body that cannot go again: the next call needs it
    if not may_resend(attempt.body):
        return RAISE
    n = attempt.number
    if failure is Failure.STATUS:
        if not policy.should_retry_status(attempt.status, idempotent=attempt.idempotent, attempt=n):
            return RAISE
    # A broken or garbled 2xx answer was sent, like a reset mid-body.
    elif not policy.should_retry_transport(
        idempotent=attempt.idempotent, sent=failure is not Failure.CONNECT, attempt=n
    ):
        return RAISE
    retry_after = attempt.retry_after
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return RAISE  # waiting that long cannot help: the caller hears of it now
        wait = retry_after
    else:
        wait = policy.ceiling(n) * jitter
    if now + wait >= deadline_at:
        return RAISE  # the retry would start past the call's deadline
    return Verdict(Act.RETRY, wait)


def after_renewal(renewed: bool, body: Body) -> Verdict | None:
    """After a 401 and a renewal attempt: AGAIN at once, or None (decide with renewed=True)."""
    return AGAIN if renewed and may_resend(body) else None


def hold(policy: RetryPolicy, retry_after: float | None) -> float | None:
    """How long a 429 pauses the whole session: the server's Retry-After, capped."""
    return None if retry_after is None else min(retry_after, policy.max_retry_after)


def server_acted(what: Attempt) -> bool:
    """Whether the server may have acted on a failed attempt.

    Not when the request never left (CONNECT), nor when it was answered with
    a redirect or a refusal (3xx, 4xx); yes after a send or read failure, a
    broken 2xx or a 5xx (it may have done the work).
    """
    return not (what.failure is Failure.CONNECT or 300 <= what.status < 500)


def refused(status: int) -> bool | None:
    """What an answer with ``status`` tells the pace: refused (True, a 429), admitted (False).

    Any other 3xx or 4xx is an answer, not overload: admitted. None when it
    tells nothing (no status, or a 5xx).
    """
    if status == 429:
        return True
    return False if 300 <= status < 500 else None
