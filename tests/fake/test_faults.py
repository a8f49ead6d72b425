"""Fault injection, rate limiting, latency and the request log."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp
import pytest

from taskade_async.testing import FakeTaskade, Fault, FaultKind
from taskade_async.testing._ratelimit import RateLimiter

from .conftest import Api


async def test_status_fault_with_retry_after(api: Api, taskade_fake: FakeTaskade) -> None:
    """fail_next answers the documented error shape with Retry-After, for N matching requests."""
    ws = taskade_fake.add_workspace("Acme")
    fault = taskade_fake.fail_next(503, times=2, path="/api/v1/workspaces", retry_after=2)
    for _ in range(2):
        reply = await api.call("GET", "/workspaces")
        assert reply.status == 503
        assert reply.headers["Retry-After"] == "2"
        assert reply.json == {
            "ok": False,
            "message": "injected fault",
            "code": "SERVICE_UNAVAILABLE",
            "statusMessage": "Service Unavailable",
        }
    assert fault.hits == 2
    assert taskade_fake.pending_faults == []
    assert (await api.ok("GET", "/workspaces"))["items"][0]["id"] == ws.id


async def test_status_fault_matches_method_and_path(api: Api, taskade_fake: FakeTaskade) -> None:
    """A fault applies only to requests whose method and path glob match."""
    taskade_fake.add_workspace("Acme")
    taskade_fake.fail_next(429, method="POST", path="/api/v1/projects*", retry_after=0.25)
    await api.ok("GET", "/workspaces")
    reply = await api.call("POST", "/projects", json={})
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "0.250"
    assert reply.json["code"] == "TOO_MANY_REQUESTS"


async def test_retry_after_as_http_date(api: Api, taskade_fake: FakeTaskade) -> None:
    """Retry-After can be sent as an HTTP date."""
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    taskade_fake.fail_next(429, retry_after=when)
    reply = await api.call("GET", "/workspaces")
    assert reply.headers["Retry-After"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert email.utils.parsedate_to_datetime(reply.headers["Retry-After"]) == when


@pytest.mark.parametrize(
    ("inject", "raised", "acted"),
    [
        (lambda fake: fake.reset_next(method="POST"), aiohttp.ServerDisconnectedError, False),
        (lambda fake: fake.reset_after_next(method="POST"), aiohttp.ServerDisconnectedError, True),
        (lambda fake: fake.reset_mid_body_next(), aiohttp.ClientPayloadError, True),
    ],
    ids=["reset-before-acting", "reset-after-acting", "reset-mid-body"],
)
async def test_a_lost_answer_acted_or_not(
    api: Api,
    taskade_fake: FakeTaskade,
    inject: Callable[[FakeTaskade], Fault],
    raised: type[Exception],
    acted: bool,
) -> None:
    """reset_next drops the connection before acting; reset_after_next and reset_mid_body_next
    carry the request out first, as a real server may; the next request is served."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan")
    inject(taskade_fake)
    with pytest.raises(raised):
        await api.call("POST", f"/projects/{project.id}/complete")
    assert project.completed is acted
    await api.ok("POST", f"/projects/{project.id}/complete")
    assert project.completed


async def test_reset_in_the_middle_of_the_body(api: Api, taskade_fake: FakeTaskade) -> None:
    """reset_mid_body_next sends headers and part of the promised body, then aborts."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", task_count=50)
    taskade_fake.reset_mid_body_next(path=f"/api/v1/projects/{project.id}/tasks")
    with pytest.raises(aiohttp.ClientPayloadError):
        await api.call("GET", f"/projects/{project.id}/tasks")
    assert len((await api.ok("GET", f"/projects/{project.id}/tasks"))["items"]) == 50


async def test_delay(api: Api, taskade_fake: FakeTaskade) -> None:
    """delay_next holds the answer for the given time, then answers normally."""
    fault = taskade_fake.delay_next(0.2)
    started = time.monotonic()
    await api.ok("GET", "/workspaces")
    assert time.monotonic() - started >= 0.2
    assert fault.remaining == 0  # used up: the next answer is not held
    await api.ok("GET", "/workspaces")


async def test_html_error_page(api: Api, taskade_fake: FakeTaskade) -> None:
    """html_next answers with a proxy's HTML page instead of JSON."""
    taskade_fake.html_next(502)
    reply = await api.call("GET", "/workspaces")
    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in reply.raw


async def test_truncated_json(api: Api, taskade_fake: FakeTaskade) -> None:
    """truncated_json_next answers 200 with a JSON body cut in half."""
    taskade_fake.add_workspace("Acme")
    taskade_fake.truncated_json_next()
    reply = await api.call("GET", "/workspaces")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.raw)


async def test_faults_apply_to_oauth_too(
    http: aiohttp.ClientSession, taskade_fake: FakeTaskade
) -> None:
    """The token endpoint can be faulted like any other path."""
    taskade_fake.fail_next(500, path="/oauth2/token")
    async with http.post(taskade_fake.token_url, data={"grant_type": "refresh_token"}) as r:
        assert r.status == 500


async def test_rate_limit_per_token(api: Api, taskade_fake: FakeTaskade) -> None:
    """Beyond the burst a token gets 429 with Retry-After; another token has its own budget."""
    taskade_fake.set_rate_limit(0.05, burst=3)  # slow refill: robust on a busy machine
    for _ in range(3):
        await api.ok("GET", "/workspaces")
    reply = await api.call("GET", "/workspaces")
    assert reply.status == 429
    assert reply.json["code"] == "TOO_MANY_REQUESTS"
    assert int(reply.headers["Retry-After"]) >= 1
    other = taskade_fake.add_token()
    await api.ok("GET", "/workspaces", headers={"Authorization": f"Bearer {other}"})
    assert taskade_fake.rate_limited == 1
    taskade_fake.set_rate_limit(None)
    await api.ok("GET", "/workspaces")


async def test_latency(api: Api, taskade_fake: FakeTaskade) -> None:
    """A latency setting delays every answer by at least that long."""
    taskade_fake.latency = 0.05
    started = time.monotonic()
    for _ in range(3):
        await api.ok("GET", "/workspaces")
    assert time.monotonic() - started >= 0.15
    with pytest.raises(ValueError, match="latency"):
        taskade_fake.latency = -1


async def test_request_log(api: Api, taskade_fake: FakeTaskade) -> None:
    """Requests are recorded (method, path, query, body, operation, status), minus the token."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=["A"])
    before = time.time()
    await api.ok(
        "POST",
        f"/projects/{project.id}/tasks/",
        json={"tasks": [{"contentType": "text/plain", "content": "B", "placement": "beforeend"}]},
        params={"trace": "1"},
    )
    (record,) = taskade_fake.requests
    assert record.method == "POST"
    assert record.path == f"/api/v1/projects/{project.id}/tasks/"
    assert record.query == {"trace": "1"}
    assert json.loads(record.body)["tasks"][0]["content"] == "B"
    assert record.headers["Authorization"] == "<redacted>"
    assert taskade_fake.token not in repr(record)
    assert record.operation_id == "taskCreate"
    assert record.status == 200
    assert record.response is not None
    assert json.loads(record.response)["ok"] is True
    assert before <= record.time <= time.time()


def test_fault_needs_a_positive_count() -> None:
    """A fault for zero requests is refused."""
    fake = FakeTaskade()
    with pytest.raises(ValueError, match="at least one"):
        fake.fail_next(times=0)
    fault = fake.inject(Fault(FaultKind.HTML, "GET", "/api/v1/*", remaining=2, status=504))
    assert fake.pending_faults == [fault]
    fake.clear_faults()
    assert fake.pending_faults == []


def test_rate_limiter_refills_over_time() -> None:
    """The token bucket allows a burst, then one request per 1/rate seconds, per key."""
    now = [0.0]
    limiter = RateLimiter(2.0, 2, clock=lambda: now[0])
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") == pytest.approx(0.5)
    assert limiter.acquire("b") is None
    now[0] = 0.5
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") == pytest.approx(0.5)
    now[0] = 10.0
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") is None  # refilled only up to the burst
    assert limiter.acquire("a") is not None
    assert limiter.rejected == 3
