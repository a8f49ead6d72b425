"""The decision table of the request loop, without a clock or a socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import taskade_async as tk
from taskade_async._body import BodySource
from taskade_async._decide import (
    AGAIN,
    Act,
    Attempt,
    Body,
    Failure,
    Verdict,
    after_renewal,
    body_kind,
    decide,
    hold,
    may_resend,
    refused,
    server_acted,
)

POLICY = tk.RetryPolicy(max_attempts=3, base_backoff=0.5, max_backoff=4.0, max_retry_after=60)
SAFE, UNSAFE = True, False  # GET/PUT/DELETE; POST/PATCH
ALL_BODIES = list(Body)
FRESH = [Body.NONE, Body.BYTES, Body.REPLAYABLE]  # bodies an answered attempt can send again


def verdict(
    failure: Failure,
    *,
    status: int = 0,
    idempotent: bool = SAFE,
    body: Body = Body.NONE,
    number: int = 1,
    retry_after: float | None = None,
    renewed: bool = False,
    now: float = 100.0,
    deadline_at: float = 1000.0,
    jitter: float = 0.5,
) -> Verdict:
    what = Attempt(number, idempotent, body, failure, status, retry_after, renewed)
    return decide(POLICY, what, now=now, deadline_at=deadline_at, jitter=jitter)


# -- error statuses ---------------------------------------------------------------


@pytest.mark.parametrize("body", FRESH)
@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_only_for_a_safe_method(status: int, idempotent: bool, body: Body) -> None:
    """A 5xx may have been applied: only an operation safe to repeat goes again."""
    act = verdict(Failure.STATUS, status=status, idempotent=idempotent, body=body).act
    assert act is (Act.RETRY if idempotent else Act.RAISE)


@pytest.mark.parametrize("body", FRESH)
@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
def test_429_is_retried_whatever_the_method(idempotent: bool, body: Body) -> None:
    """A 429 was refused before anything was applied: even a POST goes again."""
    assert verdict(Failure.STATUS, status=429, idempotent=idempotent, body=body).act is Act.RETRY


@pytest.mark.parametrize("body", ALL_BODIES)
@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
@pytest.mark.parametrize("status", [301, 400, 402, 403, 404, 409, 422])
def test_other_statuses_are_raised(status: int, idempotent: bool, body: Body) -> None:
    """A refusal that repeating cannot change is raised at once."""
    assert verdict(Failure.STATUS, status=status, idempotent=idempotent, body=body) == Verdict(
        Act.RAISE
    )


@pytest.mark.parametrize("body", ALL_BODIES)
@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
def test_the_first_401_renews_then_the_second_is_raised(idempotent: bool, body: Body) -> None:
    """A 401 renews the credentials once per call (even for a spent body); a second is raised."""
    assert verdict(Failure.STATUS, status=401, idempotent=idempotent, body=body).act is Act.RENEW
    again = verdict(Failure.STATUS, status=401, idempotent=idempotent, body=body, renewed=True)
    assert again.act is Act.RAISE


@pytest.mark.parametrize(
    ("refreshed", "body", "expected"),
    [
        (True, Body.NONE, AGAIN),
        (True, Body.BYTES, AGAIN),
        (True, Body.REPLAYABLE, AGAIN),
        (True, Body.ONE_SHOT_READ, None),
        (False, Body.NONE, None),
        (False, Body.BYTES, None),
    ],
)
def test_after_a_renewal_the_call_goes_again_at_once_if_it_can(
    refreshed: bool, body: Body, expected: Verdict | None
) -> None:
    """Renewed credentials resend the call without a wait, unless its body cannot go again."""
    assert after_renewal(refreshed, body) == expected
    if expected is not None:
        assert expected.wait == 0.0


@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_answered_one_shot_body_is_never_sent_again(status: int, idempotent: bool) -> None:
    """Whatever the status, a one-shot stream the server answered is not resent."""
    act = verdict(Failure.STATUS, status=status, idempotent=idempotent, body=Body.ONE_SHOT_READ)
    assert act.act is Act.RAISE


# -- failed connections and unusable answers ------------------------------------------


@pytest.mark.parametrize("body", [Body.NONE, Body.BYTES, Body.REPLAYABLE, Body.ONE_SHOT])
@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
def test_a_failed_connect_is_retried_for_any_method(idempotent: bool, body: Body) -> None:
    """The request never left: any method, and an unread one-shot body, may go again."""
    assert verdict(Failure.CONNECT, idempotent=idempotent, body=body).act is Act.RETRY


@pytest.mark.parametrize("body", FRESH)
@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
@pytest.mark.parametrize("failure", [Failure.SEND, Failure.READ, Failure.GARBLED])
def test_a_request_that_may_have_arrived_is_retried_only_when_safe(
    failure: Failure, idempotent: bool, body: Body
) -> None:
    """A reset after sending, a broken or garbled 2xx body: only a safe operation goes again."""
    act = verdict(failure, idempotent=idempotent, body=body).act
    assert act is (Act.RETRY if idempotent else Act.RAISE)


@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
@pytest.mark.parametrize(
    "failure", [Failure.CONNECT, Failure.SEND, Failure.READ, Failure.GARBLED, Failure.INVALID]
)
def test_a_read_one_shot_body_is_never_sent_again(failure: Failure, idempotent: bool) -> None:
    """Once part of a one-shot stream went, no failure sends it again."""
    assert verdict(failure, idempotent=idempotent, body=Body.ONE_SHOT_READ).act is Act.RAISE


@pytest.mark.parametrize("body", ALL_BODIES)
@pytest.mark.parametrize("idempotent", [SAFE, UNSAFE], ids=["safe", "unsafe"])
def test_an_answer_of_the_wrong_shape_is_never_repeated(idempotent: bool, body: Body) -> None:
    """Too long, or valid JSON without ``ok: true``: the same request would get the same."""
    assert verdict(Failure.INVALID, idempotent=idempotent, body=body).act is Act.RAISE


# -- attempts, waits and the deadline ---------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "status"), [(Failure.STATUS, 503), (Failure.STATUS, 429), (Failure.CONNECT, 0)]
)
def test_the_last_attempt_is_raised(failure: Failure, status: int) -> None:
    """Attempt max_attempts is the last: its failure is raised, whatever it was."""
    assert verdict(failure, status=status, number=2).act is Act.RETRY
    assert verdict(failure, status=status, number=3).act is Act.RAISE


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_the_wait(status: int) -> None:
    """A Retry-After in seconds is waited for exactly, whatever the jitter."""
    for jitter in (0.0, 0.99):
        got = verdict(Failure.STATUS, status=status, retry_after=0.3, jitter=jitter)
        assert got == Verdict(Act.RETRY, 0.3)


def test_a_retry_after_beyond_the_limit_is_raised() -> None:
    """A Retry-After over max_retry_after raises instead of waiting."""
    assert verdict(Failure.STATUS, status=429, retry_after=60.0).act is Act.RETRY
    assert verdict(Failure.STATUS, status=429, retry_after=60.5).act is Act.RAISE


@pytest.mark.parametrize(
    ("retry_after", "now", "act"),
    [(5.0, 100.0, Act.RAISE), (5.0, 94.0, Act.RETRY), (None, 99.8, Act.RAISE)],
)
def test_a_wait_ending_past_the_deadline_is_raised(
    retry_after: float | None, now: float, act: Act
) -> None:
    """A retry that would start at or after the deadline is raised now, without waiting."""
    got = verdict(Failure.STATUS, status=503, retry_after=retry_after, now=now, deadline_at=100.0)
    assert got.act is act


@pytest.mark.parametrize(("number", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)])
def test_backoff_grows_to_its_cap_and_jitter_picks_below_it(number: int, ceiling: float) -> None:
    """Without Retry-After the wait is jitter x a ceiling that doubles up to max_backoff."""
    policy = tk.RetryPolicy(max_attempts=10, base_backoff=0.5, max_backoff=4.0)
    what = Attempt(number, SAFE, Body.NONE, Failure.CONNECT)
    for jitter in (0.0, 0.25, 0.999):
        got = decide(policy, what, now=0.0, deadline_at=1e9, jitter=jitter)
        assert got.act is Act.RETRY
        assert got.wait == pytest.approx(ceiling * jitter)
    assert policy.ceiling(number) == ceiling


def test_a_429_holds_the_session_for_its_retry_after_capped() -> None:
    """The session-wide pause of a 429 is its Retry-After, at most max_retry_after; else none."""
    assert hold(POLICY, 2.5) == 2.5
    assert hold(POLICY, 3600.0) == 60.0
    assert hold(POLICY, None) is None


# -- the one rule for bodies --------------------------------------------------------------


async def _chunks() -> AsyncIterator[bytes]:
    yield b"x"


def test_body_kinds_and_the_one_rule_for_sending_again() -> None:
    """Only a one-shot stream that was read, or answered, may not go again."""
    stream = BodySource(_chunks())
    assert body_kind(None, answered=True) is Body.NONE
    assert body_kind(b"{}", answered=True) is Body.BYTES
    assert body_kind(BodySource(b"data"), answered=True) is Body.REPLAYABLE
    assert body_kind(stream, answered=False) is Body.ONE_SHOT
    assert body_kind(stream, answered=True) is Body.ONE_SHOT_READ
    stream.consumed = True
    assert body_kind(stream, answered=False) is Body.ONE_SHOT_READ
    assert [may_resend(kind) for kind in Body] == [True, True, True, True, False]


@pytest.mark.parametrize(
    ("failure", "status", "acted"),
    [
        (Failure.CONNECT, 0, False),
        (Failure.SEND, 0, True),
        (Failure.READ, 0, True),
        (Failure.GARBLED, 0, True),
        (Failure.INVALID, 0, True),
        (Failure.STATUS, 302, False),
        (Failure.STATUS, 404, False),
        (Failure.STATUS, 429, False),
        (Failure.STATUS, 500, True),
        (Failure.STATUS, 503, True),
    ],
)
def test_server_acted(failure: Failure, status: int, acted: bool) -> None:
    """The server acted unless the request never left or was answered with a 3xx/4xx."""
    assert server_acted(Attempt(1, UNSAFE, Body.BYTES, failure, status)) is acted


@pytest.mark.parametrize(
    ("status", "said"),
    [(429, True), (400, False), (404, False), (307, False), (500, None), (0, None)],
)
def test_refused_or_admitted(status: int, said: bool | None) -> None:
    """A 429 is a refusal, another 3xx/4xx an admitted answer, a 5xx or no answer nothing."""
    assert refused(status) is said
