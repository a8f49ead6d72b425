"""5,000 deliveries with 1% duplicates and 1% bad signatures: each valid event handled once."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from taskade_async import events
from tests.events._serve import serve

SECRET = "whsec-many"


def deliveries(n: int, seed: int = 7) -> list[tuple[bytes, str, bool]]:
    """(body, signature header, genuine): n posts, 1% repeats of earlier ones, 1% forged."""
    rng = random.Random(seed)
    out: list[tuple[bytes, str, bool]] = []
    for i in range(n):
        if i and i % 100 == 50:  # a repeat of an earlier delivery
            out.append(out[rng.randrange(len(out))])
        elif i % 100 == 99:  # signed with another secret
            raw = json.dumps({"spaceId": "s", "projectId": f"forged{i}", "projectName": "X"})
            out.append((raw.encode(), events.sign("not-the-secret", raw.encode()), False))
        else:
            raw = json.dumps({"spaceId": "s", "projectId": f"p{i}", "projectName": "P"})
            out.append((raw.encode(), events.sign(SECRET, raw.encode()), True))
    return out


@pytest.mark.parametrize("mode", ["direct-memory", "inbox-sqlite"])
async def test_each_valid_unique_event_is_handled_exactly_once(mode: str, tmp_path: Path) -> None:
    """Every distinct genuine delivery runs the callback once; forgeries never do."""
    posts = deliveries(5000)
    counts: Counter[str] = Counter()
    expected = {json.loads(b)["projectId"] for b, _, ok in posts if ok}
    done = asyncio.Event()

    async def on_event(event: events.Event) -> None:
        counts[event.raw["projectId"]] += 1
        if len(counts) == len(expected):
            done.set()

    inbox = mode.startswith("inbox")
    store: events.Store = (
        events.SQLiteStore(tmp_path / "bot.db", synchronous="NORMAL")
        if inbox
        else events.MemoryStore()
    )
    h = events.handler(on_event, secret=SECRET, store=store, inbox=inbox)
    app = web.Application()
    app.router.add_post("/taskade", h)
    if h.inbox is not None:
        app.cleanup_ctx.append(h.inbox.serve)
    statuses: Counter[int] = Counter()
    queue = list(reversed(posts))
    async with serve(app) as root, aiohttp.ClientSession() as http:

        async def sender() -> None:
            while queue:
                raw, signature, _ = queue.pop()
                headers = {events.SIGNATURE_HEADER: signature}
                async with http.post(root / "taskade", data=raw, headers=headers) as resp:
                    statuses[resp.status] += 1

        await asyncio.gather(*(sender() for _ in range(16)))
        await asyncio.wait_for(done.wait(), 120)
    assert statuses[401] == 50
    assert sum(statuses.values()) == 5000
    assert set(counts) == expected
    assert set(counts.values()) == {1}
