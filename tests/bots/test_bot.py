"""examples/bot.py loads and wires events.handler (its end-to-end test needs the v2 fake)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest

from taskade_async import events
from taskade_async.testing import FakeTaskade
from tests.bots._serve import serve

BOT = Path(__file__).resolve().parents[2] / "examples" / "bot.py"


def _load_bot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("taskade_example_bot", BOT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    async with serve(_load_bot().make_app()) as root, aiohttp.ClientSession() as http:
        url = root / "taskade"
        bad = {events.SIGNATURE_HEADER: events.sign("retired", body)}
        async with http.post(url, data=body, headers=bad) as resp:
            assert resp.status == 401
        good = {events.SIGNATURE_HEADER: events.sign("old", body)}
        async with http.post(url, data=body, headers=good) as resp:
            assert resp.status == 204
    assert taskade_fake.requests == []
