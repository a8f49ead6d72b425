"""Classifying one attempt, without a socket: the error raised and the facts ruled on."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL

import taskade_async as tk
from taskade_async._classify import GARBLED, failed_facts, refused_facts, unusable_facts
from taskade_async._decide import Body, Failure
from taskade_async._request import Operation, accepted

POST = Operation("createProject", "POST", "/projects")
GET = Operation("getProject", "GET", "/projects/{projectId}")
URL_ = URL("https://www.taskade.com/api/v1/projects")


@pytest.mark.parametrize(
    ("payload", "ok"),
    [({"ok": True}, True), ({"ok": False}, False), ({"ok": 1}, False), ([], False), (None, False)],
)
def test_the_2xx_acceptance_rule(payload: object, ok: bool) -> None:
    """Only a JSON object with "ok": true is accepted."""
    assert accepted(payload) is ok


def test_a_connection_never_made_is_connect() -> None:
    """A connect timeout means the request never left: CONNECT, a RequestTimeoutError."""
    error, what = failed_facts(aiohttp.ConnectionTimeoutError(), POST, URL_, b"{}", 1)
    assert what.failure is Failure.CONNECT
    assert not what.idempotent
    assert what.body is Body.BYTES
    assert isinstance(error, tk.RequestTimeoutError)


def test_a_dropped_connection_is_send() -> None:
    """A disconnect after sending may have reached the server: SEND, a TransportError."""
    error, what = failed_facts(aiohttp.ServerDisconnectedError(), GET, URL_, None, 2)
    assert what.failure is Failure.SEND
    assert what.number == 2
    assert what.idempotent
    assert isinstance(error, tk.TransportError)
    assert "ServerDisconnectedError" in str(error)


def test_garbled_invalid_and_too_long_2xx() -> None:
    """Not JSON is GARBLED, the wrong shape or too long INVALID, a broken read READ."""
    args = (200, "application/json", GET, URL_, None, 100, 1)
    _, what = unusable_facts(b"{tru", GARBLED, *args)
    assert what.failure is Failure.GARBLED
    error, what = unusable_facts(b'{"ok": false}', {"ok": False}, *args)
    assert what.failure is Failure.INVALID
    assert isinstance(error, tk.ProtocolError)
    error, what = unusable_facts(None, None, *args)
    assert what.failure is Failure.INVALID
    assert "max_response_bytes" in str(error)
    cut = aiohttp.ClientPayloadError("cut")
    error, what = unusable_facts(cut, cut, *args)
    assert what.failure is Failure.READ
    assert isinstance(error, tk.TransportError)


def test_a_refusal_carries_status_and_retry_after() -> None:
    """An error status becomes its typed error, with the status and Retry-After as facts."""
    body = b'{"ok": false, "code": "TOO_MANY", "message": "slow down"}'
    headers = {"Retry-After": "3"}
    error, what = refused_facts(429, body, "application/json", headers, POST, URL_, b"{}", 1)
    assert isinstance(error, tk.RateLimitError)
    assert (what.failure, what.status, what.retry_after) == (Failure.STATUS, 429, 3.0)
    error, what = refused_facts(503, b"", "text/plain", headers, GET, URL_, None, 1)
    assert what.status == 503
    assert what.retry_after == 3.0
    assert isinstance(error, tk.APIError)
    assert error.status == 503
