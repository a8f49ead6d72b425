"""tk.trigger_automation against FakeTaskade's automations, over loopback HTTP."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

import taskade_async as tk
from taskade_async._trigger import redact_url
from taskade_async.testing import FakeTaskade
from tests.events._serve import serve


def _id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _posts(fake: FakeTaskade, url: str) -> list[Any]:
    path = url.split(str(fake.url), 1)[1]
    return [r for r in fake.requests if r.path == path]


@pytest_asyncio.fixture
async def session(taskade_fake: FakeTaskade) -> AsyncIterator[tk.Session]:
    """A session on the fake that never waits long between attempts."""
    retry = tk.RetryPolicy(base_backoff=0.0)
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, retry=retry) as s:
        yield s


async def test_the_payload_reaches_the_automation(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """The JSON object is posted once and recorded as the automation's run."""
    url = taskade_fake.add_automation()
    assert "/webhooks/flow/" in url
    await tk.trigger_automation(session, url, {"customer": "Ann", "plan": "pro", "seats": 3})
    assert taskade_fake.automation_runs(url) == [{"customer": "Ann", "plan": "pro", "seats": 3}]
    (request,) = _posts(taskade_fake, url)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("taskade-async/")


async def test_the_account_token_is_never_sent(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """Without a bearer no Authorization header is sent at all (so never the account token)."""
    url = taskade_fake.add_automation()
    await tk.trigger_automation(session, url, {"a": "1"})
    (request,) = _posts(taskade_fake, url)
    assert "Authorization" not in request.headers
    assert taskade_fake.token not in repr(request)


async def test_the_automation_s_own_bearer_is_sent(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """With bearer=, the automation accepts the trigger; without or with another it is 401."""
    url = taskade_fake.add_automation(bearer="flow-secret")
    with pytest.raises(tk.UnauthorizedError):
        await tk.trigger_automation(session, url, {"a": "1"})
    with pytest.raises(tk.UnauthorizedError):
        await tk.trigger_automation(session, url, {"a": "1"}, bearer=taskade_fake.token)
    assert taskade_fake.automation_runs(url) == []
    await tk.trigger_automation(session, url, {"a": "2"}, bearer="flow-secret")
    assert taskade_fake.automation_runs(url) == [{"a": "2"}]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"first name": "Ann"}, "spaces"),
        ({"tab\tkey": "x"}, "spaces"),
        ({"": "x"}, "non-empty"),
        ({1: "x"}, "must be str"),
        (["a", "b"], "JSON object"),
        ("text", "JSON object"),
        ({"a": object()}, "JSON-serializable"),
        ({"a": float("nan")}, "JSON-serializable"),
    ],
)
async def test_bad_payloads_are_refused_before_sending(
    taskade_fake: FakeTaskade, session: tk.Session, payload: Any, message: str
) -> None:
    """Keys with spaces, non-str keys and non-objects raise ValidationError; nothing is sent."""
    url = taskade_fake.add_automation()
    with pytest.raises(tk.ValidationError, match=message):
        await tk.trigger_automation(session, url, payload)
    assert _posts(taskade_fake, url) == []


@pytest.mark.parametrize("body", [b'{"first name": "Ann"}', b"[1, 2]", b"not json", b'"text"'])
async def test_the_fake_refuses_what_taskade_refuses(
    taskade_fake: FakeTaskade, body: bytes
) -> None:
    """The fake answers 400 to spaced keys and non-objects from any client, recording no run."""
    url = taskade_fake.add_automation()
    async with aiohttp.ClientSession() as http, http.post(url, data=body) as resp:
        assert resp.status == 400
    assert taskade_fake.automation_runs(url) == []


async def test_the_fake_answers_404_for_an_unknown_automation(taskade_fake: FakeTaskade) -> None:
    """A trigger URL the fake never made is 404, and automation_runs raises KeyError."""
    url = str(taskade_fake.url / "webhooks" / "flow" / "no-such-automation")
    async with aiohttp.ClientSession() as http, http.post(url, json={"a": 1}) as resp:
        assert resp.status == 404
    with pytest.raises(KeyError):
        taskade_fake.automation_runs(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.taskade.com/webhooks/flow/abcdefghijklmnopqrstuvwxyz",
        "ftp://www.taskade.com/webhooks/flow/abcdefghijklmnopqrstuvwxyz",
        "/webhooks/flow/abcdefghijklmnopqrstuvwxyz",
        "https://www.taskade.com/webhooks/flow/abcdefghijklmnopqrstuvwxyz?x=1",
        "https://www.taskade.com/webhooks/",
    ],
)
async def test_only_https_urls_are_accepted(session: tk.Session, url: str) -> None:
    """Plain http (off loopback), other schemes, relative URLs and queries are refused unsent."""
    with pytest.raises(tk.ValidationError) as info:
        await tk.trigger_automation(session, url, {"a": "1"})
    assert "abcdefghijklmnopqrstuvwxyz" not in str(info.value)


def test_redaction_keeps_only_the_end_of_the_id() -> None:
    """The redacted URL shows the origin, the route and the id's last 4 characters."""
    url = "https://www.taskade.com/webhooks/flow/01HXYZabcdefghij1234"
    assert redact_url(url) == "https://www.taskade.com/webhooks/flow/…1234"
    assert redact_url("https://www.taskade.com/webhooks/01HXYZabcdefghij1234") == (
        "https://www.taskade.com/webhooks/…1234"
    )
    assert redact_url("https://www.taskade.com/webhooks/flow/short") == (
        "https://www.taskade.com/webhooks/flow/…"
    )
    assert redact_url("https://example.com/my/secret/path/abcdefghijklmnop") == (
        "https://example.com/…mnop"
    )


async def test_errors_and_logs_never_show_the_url_s_secret(
    taskade_fake: FakeTaskade, session: tk.Session, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed trigger's error, its repr and the debug log show only the redacted URL."""
    caplog.set_level(logging.DEBUG, logger="taskade_async")
    url = taskade_fake.add_automation(bearer="flow-secret")
    secret = _id(url)
    with pytest.raises(tk.UnauthorizedError) as info:
        await tk.trigger_automation(session, url, {"a": "1"})
    error = info.value
    assert error.status == 401
    assert error.url == redact_url(url)
    assert error.url.endswith("…" + secret[-4:])
    for text in (str(error), repr(error), error.url, caplog.text):
        assert secret not in text
    assert redact_url(url) in caplog.text


async def test_a_server_error_is_raised_and_not_retried(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """A 503 or 429 after the trigger was sent raises at once: it is never sent twice."""
    url = taskade_fake.add_automation()
    taskade_fake.fail_next(503, path="/webhooks/*")
    with pytest.raises(tk.ServerError):
        await tk.trigger_automation(session, url, {"a": "1"})
    taskade_fake.fail_next(429, path="/webhooks/*", retry_after=0)
    with pytest.raises(tk.RateLimitError):
        await tk.trigger_automation(session, url, {"a": "2"})
    assert len(_posts(taskade_fake, url)) == 2
    assert session.stats.retries == 0


async def test_a_dropped_connection_after_sending_is_not_retried(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """A connection reset once the request was sent raises TransportError, without a resend."""
    url = taskade_fake.add_automation()
    taskade_fake.reset_next(path="/webhooks/*")
    with pytest.raises(tk.TransportError) as info:
        await tk.trigger_automation(session, url, {"a": "1"})
    assert _id(url) not in str(info.value)
    assert len(_posts(taskade_fake, url)) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class _FlakyResolver(AbstractResolver):
    """Resolves localhost to a closed port first (connection refused), then to the fake."""

    def __init__(self, port: int, failures: int) -> None:
        self.port = port
        self.failures = failures
        self.calls = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls += 1
        use = _closed_port() if self.calls <= self.failures else self.port
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=use,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        pass


async def _flaky_session(
    fake: FakeTaskade, failures: int, retry: tk.RetryPolicy
) -> tuple[tk.Session, _FlakyResolver, aiohttp.ClientSession]:
    resolver = _FlakyResolver(fake.url.port or 0, failures)
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
    http = aiohttp.ClientSession(connector=connector)
    session = tk.Session(fake.token, base_url=fake.base_url, http=http, retry=retry)
    return session, resolver, http


async def test_a_connection_refused_before_sending_is_retried(taskade_fake: FakeTaskade) -> None:
    """A connect failure (nothing sent) is retried per the session's policy; it runs once."""
    url = taskade_fake.add_automation().replace("127.0.0.1", "localhost")
    session, resolver, http = await _flaky_session(
        taskade_fake, 2, tk.RetryPolicy(max_attempts=3, base_backoff=0.0)
    )
    async with http, session:
        await tk.trigger_automation(session, url, {"a": "1"})
    assert resolver.calls == 3
    assert session.stats.retries == 2
    assert taskade_fake.automation_runs(url) == [{"a": "1"}]


async def test_connect_retries_stop_at_the_policy_s_limit(taskade_fake: FakeTaskade) -> None:
    """With max_attempts=2 and connects that keep failing, TransportError after 2 attempts."""
    url = taskade_fake.add_automation().replace("127.0.0.1", "localhost")
    session, resolver, http = await _flaky_session(
        taskade_fake, 5, tk.RetryPolicy(max_attempts=2, base_backoff=0.0)
    )
    async with http, session:
        with pytest.raises(tk.TransportError) as info:
            await tk.trigger_automation(session, url, {"a": "1"})
    assert resolver.calls == 2
    assert _id(url) not in str(info.value)
    assert taskade_fake.automation_runs(url) == []


async def test_the_session_s_deadline_bounds_the_trigger(taskade_fake: FakeTaskade) -> None:
    """A trigger that gets no answer within the session's deadline raises RequestTimeoutError."""
    url = taskade_fake.add_automation()
    taskade_fake.delay_next(0.5, path="/webhooks/*")
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, deadline=0.05) as s:
        with pytest.raises(tk.RequestTimeoutError) as info:
            await tk.trigger_automation(s, url, {"a": "1"})
    assert _id(url) not in str(info.value)


async def test_a_closed_session_is_a_clear_error(taskade_fake: FakeTaskade) -> None:
    """Triggering through a session that is not open raises RuntimeError, sending nothing."""
    url = taskade_fake.add_automation()
    session = tk.Session(taskade_fake.token, base_url=taskade_fake.base_url)
    with pytest.raises(RuntimeError, match="not open"):
        await tk.trigger_automation(session, url, {"a": "1"})


async def test_a_redirect_is_not_followed(session: tk.Session) -> None:
    """A 3xx answer raises ProtocolError and the payload is not sent to the new location."""
    seen: list[str] = []

    async def moved(request: web.Request) -> web.StreamResponse:
        seen.append(request.path)
        raise web.HTTPTemporaryRedirect("/webhooks/flow/elsewhere-elsewhere-elsewhere")

    app = web.Application()
    app.router.add_post("/webhooks/flow/{id}", moved)
    async with serve(app) as root:
        url = str(root / "webhooks" / "flow" / "abcdefghijklmnopqrstuvwxyz")
        with pytest.raises(tk.ProtocolError, match="redirect") as info:
            await tk.trigger_automation(session, url, {"a": "1"})
    assert seen == ["/webhooks/flow/abcdefghijklmnopqrstuvwxyz"]
    assert "abcdefghijklmnopqrstuvwxyz" not in str(info.value)


@pytest.mark.parametrize("bearer", ["", "two words", "line\nbreak"])
async def test_a_malformed_bearer_is_refused_before_sending(
    taskade_fake: FakeTaskade, session: tk.Session, bearer: str
) -> None:
    """An empty bearer or one with whitespace raises ValidationError and sends nothing."""
    url = taskade_fake.add_automation(bearer="flow-secret")
    with pytest.raises(tk.ValidationError):
        await tk.trigger_automation(session, url, {"a": "1"}, bearer=bearer)
    assert _posts(taskade_fake, url) == []
