"""examples/bot.py loads and wires events.handler (its end-to-end test needs the v2 fake)."""

from __future__ import annotations

import json

import aiohttp
import pytest

from taskade_async import events
from taskade_async.testing import FakeTaskade
from tests.bots._bot import load_bot
from tests.bots._serve import serve


async def test_the_bot_verifies_and_ignores_other_events(
    taskade_fake: FakeTaskade, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot refuses a badly signed delivery and answers other events without any API call."""
    for name, value in {
        "TASKADE_TOKEN": taskade_fake.token,
        "TASKADE_BASE_URL": str(taskade_fake.base_url),
        "TASKADE_SPACE_ID": "s1",
        "TASKADE_AGENT_ID": "a1",
        "TASKADE_WEBHOOK_SECRET": "new,old",
    }.items():
        monkeypatch.setenv(name, value)
    body = json.dumps({"projectId": "p1", "projectName": "P", "creatorName": "Ann"}).encode()
    async with serve(load_bot().make_app()) as root, aiohttp.ClientSession() as http:
        url = root / "taskade"
        bad = {events.SIGNATURE_HEADER: events.sign("retired", body)}
        async with http.post(url, data=body, headers=bad) as resp:
            assert resp.status == 401
        good = {events.SIGNATURE_HEADER: events.sign("old", body)}
        async with http.post(url, data=body, headers=good) as resp:
            assert resp.status == 204
    assert taskade_fake.requests == []
