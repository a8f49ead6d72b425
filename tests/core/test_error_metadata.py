"""APIError carries the response's headers and the server's request id."""

from __future__ import annotations

import pytest

import taskade_async as tk
from taskade_async.api import projects
from taskade_async.testing import FakeTaskade

from .conftest import SessionFactory
from .server import Server, error

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")


async def test_headers_and_request_id_from_x_request_id(
    server: Server, make_session: SessionFactory
) -> None:
    """An error keeps the response headers (case-insensitive) and says its x-request-id."""
    headers = {"X-Request-Id": "req-42", "X-Ratelimit-Remaining": "7"}
    server.route("GET", "/projects/p", error(404, "NOT_FOUND", "no such project", headers=headers))
    async with make_session() as s:
        with pytest.raises(tk.NotFoundError) as caught:
            await s.request(GET, ("p",))
    exc = caught.value
    assert exc.request_id == "req-42"
    assert exc.headers["x-ratelimit-remaining"] == "7"
    assert "[request id req-42]" in str(exc)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cf-ray": "8c2f-AMS"}, "8c2f-AMS"),
        ({"x-amzn-RequestId": "amz-1", "cf-ray": "8c2f-AMS"}, "amz-1"),
        ({"X-Other": "1"}, None),
    ],
)
async def test_request_id_from_other_headers(
    server: Server, make_session: SessionFactory, headers: dict[str, str], expected: str | None
) -> None:
    """cf-ray or x-amzn-requestid serve as the id when there is no x-request-id; none: None."""
    server.route("GET", "/projects/p", error(403, "FORBIDDEN", "no", headers=headers))
    async with make_session() as s:
        with pytest.raises(tk.ForbiddenError) as caught:
            await s.request(GET, ("p",))
    assert caught.value.request_id == expected
    assert ("request id" in str(caught.value)) is (expected is not None)


async def test_rate_limit_error_keeps_headers(server: Server, make_session: SessionFactory) -> None:
    """A 429 that ends a call carries Retry-After both parsed and among its headers."""
    headers = {"Retry-After": "1000", "x-request-id": "r-9"}
    server.route("GET", "/projects/p", error(429, "TOO_MANY_REQUESTS", "slow", headers=headers))
    async with make_session() as s:
        with pytest.raises(tk.RateLimitError) as caught:
            await s.request(GET, ("p",))
    assert caught.value.retry_after == 1000
    assert caught.value.headers["retry-after"] == "1000"
    assert caught.value.request_id == "r-9"


def test_an_error_made_by_hand_has_empty_headers() -> None:
    """An APIError built without headers has an empty mapping and no request id."""
    exc = tk.NotFoundError(
        status=404, code="NOT_FOUND", message="x", status_message=None, method="GET", url="u"
    )
    assert dict(exc.headers) == {}
    assert exc.request_id is None
    assert str(exc) == "GET u -> 404 NOT_FOUND: x"


async def test_fake_taskade_sends_a_request_id(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """FakeTaskade answers with an x-request-id, so its errors name the request like Taskade's."""
    with pytest.raises(tk.NotFoundError) as caught:
        await projects.get(taskade_session, "nope")
    assert caught.value.request_id
    assert f"[request id {caught.value.request_id}]" in str(caught.value)
