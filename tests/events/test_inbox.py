"""Inbox mode in one process: 202 at once, workers, retries with backoff, dead letters, replay."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from taskade_async import ValidationError, events
from tests.events._serve import serve

SECRET = "whsec-inbox"
StoreFactory = Callable[[], events.Store]


def body(n: int) -> bytes:
    return json.dumps({"spaceId": "s", "projectId": f"p{n}", "projectName": "P"}).encode()


async def post(url: URL, raw: bytes, secret: str = SECRET) -> int:
    headers = {events.SIGNATURE_HEADER: events.sign(secret, raw)}
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as r:
        return r.status


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_inbox_mode_answers_202_at_once_and_a_worker_runs_the_callback(
    make_store: StoreFactory,
) -> None:
    """The handler answers 202 while the callback has not even started; the app's worker runs
    it, once per distinct delivery."""
    release, handled = asyncio.Event(), asyncio.Queue[str]()

    async def slow(event: events.Event) -> None:
        await release.wait()
        handled.put_nowait(event.raw["projectId"])

    store = make_store()
    h = events.handler(slow, secret=SECRET, store=store, inbox=True)
    app = web.Application()
    app.router.add_post("/taskade", h)
    app.cleanup_ctx.append(h.inbox.serve)
    async with serve(app) as root:
        url = root / "taskade"
        assert [await post(url, body(1)), await post(url, body(1)), await post(url, body(2))] == [
            202,
            202,
            202,
        ]
        assert await post(url, body(3), secret="wrong") == 401
        assert handled.empty()
        release.set()
        got = {await asyncio.wait_for(handled.get(), 30) for _ in range(2)}
        assert got == {"p1", "p2"}
    assert handled.empty()


async def test_an_idle_worker_finds_a_delivery_recorded_by_another_process(
    make_store: StoreFactory,
) -> None:
    """A worker polls the store: a delivery recorded through another store object (another
    process) is handled without any wake-up call."""
    done = asyncio.Event()

    async def on_event(event: events.Event) -> None:
        done.set()

    worker_store, other = make_store(), make_store()
    inbox = events.Inbox(on_event, store=worker_store, poll=0.05)
    await inbox.start()
    try:
        await other.record(events.delivery_key(body(1)), body(1), events._store.wall_clock())
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await inbox.stop()


async def test_a_poison_event_becomes_a_dead_letter_then_is_replayed(
    make_store: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback failing every time: tried max_attempts times with backoff, then a dead
    letter (logged with its traceback); replayed after a fix, it is handled."""
    clock = Clock()
    broken = True
    calls: list[float] = []

    async def on_event(event: events.Event) -> None:
        calls.append(clock.now)
        if broken:
            raise ValueError("cannot parse the task text")

    store = make_store()
    inbox = events.Inbox(
        on_event, store=store, max_attempts=3, retry_backoff=10, max_backoff=15, clock=clock
    )
    await store.record("k", body(1), clock.now)
    for _ in range(6):  # a try when due; nothing in between
        await inbox.drain()
        clock.now += 5
    assert [round(t - calls[0]) for t in calls] == [0, 10, 25]  # backoff 10, then 15 (capped)
    dead = await store.list(["dead"], 10)
    assert [(d.key, d.attempts, d.error) for d in dead] == [
        ("k", 3, "ValueError: cannot parse the task text")
    ]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 3
    assert failures[-1].getMessage().endswith("(try 3 of 3): now a dead letter")
    assert all(r.exc_info is not None for r in failures)
    broken = False
    assert await store.replay(None, clock.now) == 1
    assert await inbox.drain() == 1
    record = await store.get("k")
    assert record is not None
    assert (record.state, record.attempts) == ("done", 1)


async def test_a_delivery_abandoned_too_often_is_a_dead_letter(make_store: StoreFactory) -> None:
    """A delivery whose workers died max_attempts times is not run again: it is dead."""
    clock = Clock()
    runs: list[events.Event] = []

    async def on_event(event: events.Event) -> None:
        runs.append(event)

    store = make_store()
    await store.record("k", body(1), clock.now)
    for _ in range(2):  # two workers claimed it and died
        assert await store.claim("dead", clock.now, 10) is not None
        clock.now += 10
    inbox = events.Inbox(on_event, store=store, max_attempts=2, lease=10, clock=clock)
    assert await inbox.drain() == 1
    assert runs == []
    record = await store.get("k")
    assert record is not None
    assert (record.state, record.error) == ("dead", "abandoned by its worker 2 times")


async def test_stopping_a_worker_mid_callback_releases_its_delivery(
    make_store: StoreFactory,
) -> None:
    """A worker cancelled mid-callback puts the delivery back as pending at once."""
    entered = asyncio.Event()

    async def hang(event: events.Event) -> None:
        entered.set()
        await asyncio.Event().wait()

    store = make_store()
    await store.record("k", body(1), events._store.wall_clock())
    inbox = events.Inbox(hang, store=store)
    await inbox.start()
    await asyncio.wait_for(entered.wait(), 30)
    await inbox.stop()
    record = await store.get("k")
    assert record is not None
    assert record.state == "pending"


async def test_the_inbox_starts_at_the_first_delivery_when_not_started_with_the_app(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without cleanup_ctx the workers start at the first delivery, with a warning saying how
    to start them with the app."""
    done = asyncio.Event()

    async def on_event(event: events.Event) -> None:
        done.set()

    store = events.SQLiteStore(tmp_path / "bot.db")
    h = events.handler(on_event, secret=SECRET, store=store, inbox=True)
    app = web.Application()
    app.router.add_post("/taskade", h)
    try:
        async with serve(app) as root:
            assert await post(root / "taskade", body(1)) == 202
            await asyncio.wait_for(done.wait(), 30)
    finally:
        await h.inbox.stop()
        await store.close()
    assert "app.cleanup_ctx.append(handler.inbox.serve)" in caplog.text


@pytest.mark.parametrize(
    "options",
    [{"concurrency": 0}, {"max_attempts": 0}, {"lease": 0}, {"poll": 0}, {"retry_backoff": -1}],
)
def test_bad_inbox_settings_are_refused(options: dict[str, float]) -> None:
    """Nonsense settings raise ValidationError when the inbox is made."""

    async def on_event(event: events.Event) -> None: ...

    with pytest.raises(ValidationError):
        events.Inbox(on_event, store=events.MemoryStore(), **options)  # type: ignore[arg-type]


def test_an_inbox_of_another_store_is_refused() -> None:
    """handler(store=A, inbox=Inbox(store=B)) is a ValidationError."""

    async def on_event(event: events.Event) -> None: ...

    inbox = events.Inbox(on_event, store=events.MemoryStore())
    with pytest.raises(ValidationError):
        events.handler(on_event, secret=SECRET, store=events.MemoryStore(), inbox=inbox)
