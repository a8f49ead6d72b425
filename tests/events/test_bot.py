"""examples/bot.py loads and wires events.handler in inbox mode (end to end: test_bot_e2e.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from taskade_async import events
from taskade_async.testing import FakeTaskade
from tests.events._bot import load_bot
from tests.events._serve import serve


async def test_the_bot_verifies_and_ignores_other_events(
    taskade_fake: FakeTaskade, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The bot refuses a badly signed delivery, records a good one (202) and handles an event
    it has no use for without any API call."""
    monkeypatch.setenv("TASKADE_BOT_DB", str(tmp_path / "bot.db"))
    for name, value in {
        "TASKADE_TOKEN": taskade_fake.token,
        "TASKADE_BASE_URL": str(taskade_fake.base_url),
        "TASKADE_SPACE_ID": "s1",
        "TASKADE_AGENT_ID": "a1",
        "TASKADE_WEBHOOK_SECRET": "new,old",
    }.items():
        monkeypatch.setenv(name, value)
    body = json.dumps({"projectId": "p1", "projectName": "P", "creatorName": "Ann"}).encode()
    bot = load_bot()
    app = bot.make_app()
    inbox = app[bot.INBOX]
    handled = asyncio.Event()
    on_event = inbox.callback

    async def traced(event: events.Event) -> None:
        await on_event(event)
        handled.set()

    inbox.callback = traced
    async with serve(app) as root, aiohttp.ClientSession() as http:
        url = root / "taskade"
        bad = {events.SIGNATURE_HEADER: events.sign("retired", body)}
        async with http.post(url, data=body, headers=bad) as resp:
            assert resp.status == 401
        good = {events.SIGNATURE_HEADER: events.sign("old", body)}
        async with http.post(url, data=body, headers=good) as resp:
            assert resp.status == 202
        await asyncio.wait_for(handled.wait(), 30)
    assert taskade_fake.requests == []
