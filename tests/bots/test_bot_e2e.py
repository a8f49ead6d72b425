"""examples/bot.py end to end: the fake delivers task.assigned, the bot answers as the note.

For tests/bots/test_bot_e2e.py once the v2 operations (agents.prompt, webhooks.create)
and FakeTaskade's signed deliveries are merged.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

import taskade_async as tk
from taskade_async.api import tasks, webhooks
from taskade_async.testing import FakeTaskade
from tests.bots._bot import load_bot


async def test_the_bot_writes_the_agent_s_answer_as_the_note(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assigning a task makes the fake deliver task.assigned; the bot's answer becomes the note."""
    space = taskade_fake.add_workspace("Team")
    taskade_fake.add_member(space, "bob")
    project = taskade_fake.add_project(space, "Launch")
    task = taskade_fake.add_task(project, "Write the press release")
    agent = taskade_fake.add_agent(space, "Helper")

    # The bot's socket first: the webhook is registered for its URL, then the bot gets the secret.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    created = await webhooks.create(
        taskade_session,
        target_url=f"http://127.0.0.1:{port}/taskade",
        events=["task.assigned"],
    )
    for name, value in {
        "TASKADE_TOKEN": taskade_fake.token,
        "TASKADE_BASE_URL": str(taskade_fake.base_url),
        "TASKADE_SPACE_ID": space.id,
        "TASKADE_AGENT_ID": agent.id,
        "TASKADE_WEBHOOK_SECRET": created.secret,
    }.items():
        monkeypatch.setenv(name, value)
    app = load_bot().make_app()
    handled = asyncio.Event()

    @web.middleware
    async def notice(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if request.path == "/taskade" and response.status == 204:
            handled.set()
        return response

    app.middlewares.append(notice)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        await tasks.set_assignees(taskade_session, project.id, task.id, handles=["bob"])
        await asyncio.wait_for(handled.wait(), timeout=10)
    finally:
        await runner.cleanup()
    note = await tasks.get_note(taskade_session, project.id, task.id)
    assert note is not None
    assert note.value
    assert note.type == "text/markdown"
    assert any(r.path.endswith("/promptAgent") for r in taskade_fake.requests)
    assert taskade_fake.note(project, task.id) == note.value
