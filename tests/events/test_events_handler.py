"""events.handler over loopback HTTP: statuses, verification before parsing, dedupe, logs."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from yarl import URL

from taskade_async import ValidationError, events
from tests.events._serve import serve

SECRET = "whsec-test-0123456789"
BODY = json.dumps({"spaceId": "s1", "projectId": "p1", "projectName": "P", "creatorName": "Ann"})
SIGN = object()


@attrs.define
class Bot:
    """A receiving app on loopback and what its callback saw."""

    url: URL
    received: list[events.Event] = attrs.field(factory=list)
    #: Errors the callback raises, one per call, before it starts recording again.
    fail: list[Exception] = attrs.field(factory=list)

    async def post(
        self, body: bytes | str, signature: object = SIGN, **headers: str
    ) -> tuple[int, str]:
        raw = body.encode() if isinstance(body, str) else body
        if signature is SIGN:
            signature = events.sign(SECRET, raw)
        if isinstance(signature, str):
            headers[events.SIGNATURE_HEADER] = signature
        headers.setdefault("Content-Type", "application/json")
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=io.BytesIO(raw), headers=headers) as resp,
        ):
            return resp.status, await resp.text()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def running(**options: Any) -> AsyncIterator[Bot]:
    """A bot app with ``events.handler(**options)`` on POST /taskade."""
    bot = Bot(URL())

    async def on_event(event: events.Event) -> None:
        if bot.fail:
            raise bot.fail.pop()
        bot.received.append(event)

    app = web.Application()
    options.setdefault("secret", SECRET)
    app.router.add_post("/taskade", events.handler(on_event, **options))
    async with serve(app) as root:
        bot.url = root / "taskade"
        yield bot


async def test_a_signed_delivery_reaches_the_callback() -> None:
    """A well-signed JSON object gets 204 and the callback gets the typed event."""
    async with running() as bot:
        assert await bot.post(BODY) == (204, "")
    (event,) = bot.received
    assert isinstance(event, events.ProjectCreated)
    assert event.creator_name == "Ann"


async def test_missing_or_bad_signature_is_401_and_not_parsed() -> None:
    """No header, a wrong one or another secret's gets 401; the body is never parsed."""
    async with running() as bot:
        assert (await bot.post(BODY, signature=None))[0] == 401
        assert (await bot.post(BODY, signature="sha256=" + "0" * 64))[0] == 401
        assert (await bot.post(BODY, signature=events.sign("other", BODY.encode())))[0] == 401
        # Not JSON, but unsigned: 401, not 400 (verification comes first).
        assert (await bot.post(b"[not json", signature=None))[0] == 401
    assert bot.received == []


@pytest.mark.parametrize("body", [b"[1,2,3]", b"not json", b'"a string"', b""])
async def test_a_signed_body_that_is_not_an_object_is_400(body: bytes) -> None:
    """A correctly signed body that is not a JSON object gets 400."""
    async with running() as bot:
        status, text = await bot.post(body)
    assert status == 400
    assert "JSON" in text
    assert bot.received == []


async def test_a_body_over_the_cap_is_413() -> None:
    """A body longer than max_body gets 413, declared or streamed (chunked) alike."""
    big = json.dumps({"creatorName": "x" * 2000}).encode()
    async with running(max_body=1000) as bot:
        assert (await bot.post(big))[0] == 413

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(big), 100):
                yield big[i : i + 100]

        headers = {events.SIGNATURE_HEADER: events.sign(SECRET, big)}
        async with (
            aiohttp.ClientSession() as http,
            http.post(bot.url, data=chunks(), headers=headers) as resp,
        ):
            assert resp.status == 413
            assert resp.request_info.headers.get("Transfer-Encoding") == "chunked"
        # Exactly the cap is fine.
        small = json.dumps({"creatorName": "x" * (1000 - 19)}).encode()
        assert len(small) == 1000
        assert (await bot.post(small))[0] == 204
    assert len(bot.received) == 1


async def test_the_default_cap_is_4_mib_not_aiohttps_1_mib() -> None:
    """A 2 MiB delivery is accepted by default (aiohttp's own limit is 1 MiB)."""
    body = json.dumps({"creatorName": "y" * (2 * 1024 * 1024)})
    async with running() as bot:
        assert (await bot.post(body))[0] == 204
    assert events.DEFAULT_MAX_BODY == 4 * 1024 * 1024


async def test_rotation_accepts_both_secrets() -> None:
    """With a list of secrets, deliveries signed with either are accepted, others are not."""
    async with running(secret=["new", "old"]) as bot:
        raw, other = BODY.encode(), BODY.replace("Ann", "Bob").encode()
        assert (await bot.post(raw, signature=events.sign("old", raw)))[0] == 204
        assert (await bot.post(other, signature=events.sign("new", other)))[0] == 204
        assert (await bot.post(raw, signature=events.sign(SECRET, raw)))[0] == 401
    assert len(bot.received) == 2


async def test_a_failing_callback_is_500_and_logged_without_the_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A callback that raises gives 500; the log has the event and the traceback, not the body."""
    secret_text = "customer-secret-in-a-comment"
    body = json.dumps({"commentBody": secret_text, "nodeId": "n1"}).encode()
    signature = events.sign(SECRET, body)
    caplog.set_level(logging.DEBUG, logger="taskade_async")
    async with running() as bot:
        bot.fail.append(RuntimeError("database down"))
        assert (await bot.post(body, signature=signature))[0] == 500
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failed] == ["comment.created delivery: the callback failed"]
    assert "Traceback" in caplog.text
    assert "in on_event" in caplog.text
    assert "RuntimeError: database down" in caplog.text
    for text in (secret_text, signature, signature[7:], SECRET):
        assert text not in caplog.text


async def test_duplicates_get_200_without_the_callback() -> None:
    """With a Deduplicator, a repeated body gets 200 and the callback runs only once."""
    async with running(dedupe=events.Deduplicator()) as bot:
        assert (await bot.post(BODY))[0] == 204
        status, text = await bot.post(BODY)
        assert (status, text) == (200, "duplicate delivery: ignored")
        other = BODY.replace("Ann", "Bob")
        assert (await bot.post(other))[0] == 204
    assert [e.raw["creatorName"] for e in bot.received] == ["Ann", "Bob"]


async def test_a_failed_delivery_is_handled_again_when_repeated() -> None:
    """A delivery whose callback failed is forgotten by the filter: its repeat is handled."""
    async with running(dedupe=events.Deduplicator()) as bot:
        bot.fail.append(RuntimeError("transient"))
        assert (await bot.post(BODY))[0] == 500
        assert (await bot.post(BODY))[0] == 204
        assert (await bot.post(BODY))[0] == 200
    assert len(bot.received) == 1


async def test_badly_signed_deliveries_do_not_poison_the_filter() -> None:
    """A rejected delivery is not recorded: the genuine one with the same body still runs."""
    async with running(dedupe=events.Deduplicator()) as bot:
        assert (await bot.post(BODY, signature="sha256=" + "1" * 64))[0] == 401
        assert (await bot.post(BODY))[0] == 204
    assert len(bot.received) == 1


def test_deduplicator_forgets_after_ttl() -> None:
    """A body is a duplicate within ttl seconds, and new again once they have passed."""
    clock = Clock()
    seen = events.Deduplicator(ttl=60, clock=clock)
    assert seen.add(b"a")
    clock.now += 59.9
    assert not seen.add(b"a")
    clock.now += 0.2  # 60.1 s after the first sighting
    assert seen.add(b"a")
    assert len(seen) == 1


def test_deduplicator_is_bounded_in_size() -> None:
    """Past max_entries the oldest digests are forgotten first."""
    clock = Clock()
    seen = events.Deduplicator(ttl=600, max_entries=3, clock=clock)
    for body in (b"1", b"2", b"3", b"4"):
        assert seen.add(body)
        clock.now += 1
    assert len(seen) == 3
    assert seen.add(b"1")  # forgotten: new again
    assert not seen.add(b"4")


def test_deduplicator_expires_old_entries_as_time_passes() -> None:
    """Expired digests are dropped (memory stays bounded by the rate times the ttl)."""
    clock = Clock()
    seen = events.Deduplicator(ttl=10, clock=clock)
    for i in range(100):
        seen.add(str(i).encode())
    clock.now += 11
    seen.add(b"fresh")
    assert len(seen) == 1
    assert "entries=1/10000" in repr(seen)


@pytest.mark.parametrize(
    "options",
    [{"secret": ""}, {"secret": []}, {"secret": SECRET, "max_body": 0}],
)
def test_bad_configuration_fails_when_the_handler_is_made(options: dict[str, Any]) -> None:
    """An empty secret or a bad cap raises ValidationError at once, not at the first delivery."""

    async def callback(event: events.Event) -> None: ...

    with pytest.raises(ValidationError):
        events.handler(callback, **options)


@pytest.mark.parametrize("options", [{"ttl": 0}, {"max_entries": 0}, {"max_entries": 1.5}])
def test_bad_deduplicator_settings_are_refused(options: dict[str, Any]) -> None:
    """A non-positive ttl or size bound raises ValidationError."""
    with pytest.raises(ValidationError):
        events.Deduplicator(**options)
