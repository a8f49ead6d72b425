"""The acknowledgement rule: never a 2xx for a delivery whose only handling then fails.

A copy arriving while the first is handled waits for its outcome. The tests
know a copy is waiting from the handler's DEBUG record (no sleeps).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from taskade_async import events
from tests.events._serve import serve

SECRET = "whsec-ack-rule"
BODY = json.dumps({"spaceId": "s1", "projectId": "p1", "projectName": "P", "creatorName": "Ann"})


class Gate:
    """A callback that blocks until released, then fails or succeeds as told."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.fail = False
        self.runs = 0

    async def __call__(self, event: events.Event) -> None:
        self.runs += 1
        self.entered.set()
        await self.release.wait()
        if self.fail:
            raise RuntimeError("the agent timed out")


class Waiting(logging.Handler):
    """Sets an event when the handler logs that a copy waits for another's outcome."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().endswith(": waiting"):
            self.seen.set()


@contextlib.contextmanager
def watching() -> Iterator[Waiting]:
    logger = logging.getLogger("taskade_async")
    waiting, level = Waiting(), logger.level
    logger.addHandler(waiting)
    logger.setLevel(logging.DEBUG)
    try:
        yield waiting
    finally:
        logger.removeHandler(waiting)
        logger.setLevel(level)


async def post(url: URL, body: str = BODY) -> tuple[int, str]:
    raw = body.encode()
    headers = {events.SIGNATURE_HEADER: events.sign(SECRET, raw)}
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as r:
        return r.status, await r.text()


@contextlib.asynccontextmanager
async def app_with(callback: Any, **options: Any) -> AsyncIterator[URL]:
    app = web.Application()
    app.router.add_post("/taskade", events.handler(callback, secret=SECRET, **options))
    async with serve(app) as root:
        yield root / "taskade"


async def test_a_copy_during_a_handling_that_fails_gets_5xx_and_the_event_runs_again() -> None:
    """A redelivery while a slow callback runs waits; the callback fails: both copies get 500,
    and the sender's next try runs the callback again."""
    gate = Gate()
    gate.fail = True
    with watching() as waiting:
        async with app_with(gate) as url:
            first = asyncio.create_task(post(url))
            await gate.entered.wait()
            second = asyncio.create_task(post(url))
            await waiting.seen.wait()
            assert not second.done()
            gate.release.set()
            assert (await first)[0] == 500
            assert (await second)[0] == 500
            gate.fail = False
            assert (await post(url))[0] == 204
    assert gate.runs == 2


async def test_a_copy_during_a_handling_that_succeeds_gets_200_after_it() -> None:
    """A redelivery while the callback runs gets its 2xx only once the callback returned."""
    gate = Gate()
    with watching() as waiting:
        async with app_with(gate) as url:
            first = asyncio.create_task(post(url))
            await gate.entered.wait()
            second = asyncio.create_task(post(url))
            await waiting.seen.wait()
            assert not second.done()
            gate.release.set()
            assert await first == (204, "")
            assert await second == (200, "duplicate delivery: handled")
            assert (await post(url))[0] == 200
    assert gate.runs == 1


async def test_a_copy_that_waits_too_long_gets_503() -> None:
    """Past ``wait`` seconds a waiting copy gets 503 with Retry-After, never a 2xx."""
    gate = Gate()
    async with app_with(gate, wait=0.01) as url:
        first = asyncio.create_task(post(url))
        await gate.entered.wait()
        status, text = await post(url)
        gate.release.set()
        assert (await first)[0] == 204
    assert (status, text) == (503, "still being handled after 0.01 s")


async def test_a_copy_in_another_process_waits_for_the_outcome(tmp_path: Path) -> None:
    """Two apps sharing one SQLite file (two processes of a bot): a copy reaching the second
    while the first handles it gets 500 when that handling fails, 200 after a success."""
    gate = Gate()
    gate.fail = True
    db = tmp_path / "bot.db"
    one, two = events.SQLiteStore(db), events.SQLiteStore(db)
    try:
        with watching() as waiting:
            async with app_with(gate, store=one) as url1, app_with(gate, store=two) as url2:
                first = asyncio.create_task(post(url1))
                await gate.entered.wait()
                second = asyncio.create_task(post(url2))
                await waiting.seen.wait()
                gate.release.set()
                assert [(await first)[0], (await second)[0]] == [500, 500]
                gate.fail, gate.entered = False, asyncio.Event()
                gate.release.clear()
                waiting.seen.clear()
                first = asyncio.create_task(post(url2))
                await gate.entered.wait()
                second = asyncio.create_task(post(url1))
                await waiting.seen.wait()
                gate.release.set()
                assert [(await first)[0], (await second)[0]] == [204, 200]
    finally:
        await one.close()
        await two.close()
    assert gate.runs == 2


async def test_a_restarted_bot_ignores_a_replay(tmp_path: Path) -> None:
    """With a SQLiteStore, a delivery handled before a restart is a duplicate after it."""
    runs: list[events.Event] = []

    async def on_event(event: events.Event) -> None:
        runs.append(event)

    for expected in (204, 200):
        store = events.SQLiteStore(tmp_path / "bot.db")
        async with store, app_with(on_event, store=store) as url:
            assert (await post(url))[0] == expected
    assert len(runs) == 1


async def test_old_dedupe_spelling_still_filters() -> None:
    """``dedupe=events.Deduplicator()`` still works: it sizes the memory store."""
    seen: list[events.Event] = []

    async def on_event(event: events.Event) -> None:
        seen.append(event)

    async with app_with(on_event, dedupe=events.Deduplicator(ttl=60)) as url:
        assert (await post(url))[0] == 204
        assert (await post(url))[0] == 200
    assert len(seen) == 1


class BrokenStore(events.MemoryStore):
    """A store whose database is down."""

    async def begin(self, key: str, owner: str, now: float, lease: float) -> events.Begin:
        raise OSError("database is down")

    async def record(self, key: str, body: bytes, now: float) -> bool:
        raise OSError("database is down")


async def test_a_store_that_fails_gets_503_and_nothing_runs() -> None:
    """When the store cannot be reached, a delivery gets 503 (directly or in inbox mode), never
    a 2xx, and the callback does not run."""
    gate = Gate()
    for inbox in (False, True):
        store = BrokenStore()
        h = events.handler(gate, secret=SECRET, store=store, inbox=inbox)
        app = web.Application()
        app.router.add_post("/taskade", h)
        try:
            async with serve(app) as root:
                status, _ = await post(root / "taskade")
        finally:
            if h.inbox is not None:
                await h.inbox.stop()
        assert status == 503
    assert gate.runs == 0
