"""examples/bot.py end to end: the fake delivers task.assigned, the bot answers as the note.

The bot records each delivery in its SQLite inbox and answers 202; its worker
asks the agent and writes the note, also after a restart mid-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import attrs
import pytest
from aiohttp import web

import taskade_async as tk
from taskade_async import events
from taskade_async.api import tasks, webhooks
from taskade_async.testing import FakeTaskade
from tests.events._bot import load_bot

Callback = Callable[[events.Event], Awaitable[object]]


@attrs.define
class World:
    """The fake's account, and the bot's listening socket with its registered webhook."""

    project: str
    task: str
    sock: socket.socket


@pytest.fixture
async def world(
    taskade_fake: FakeTaskade,
    taskade_session: tk.Session,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[World]:
    space = taskade_fake.add_workspace("Team")
    taskade_fake.add_member(space, "bob")
    project = taskade_fake.add_project(space, "Launch")
    task = taskade_fake.add_task(project, "Write the press release")
    agent = taskade_fake.add_agent(space, "Helper")
    # The bot's socket first: the webhook is registered for its URL, then the bot gets the secret.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    created = await webhooks.create(
        taskade_session,
        target_url=f"http://127.0.0.1:{sock.getsockname()[1]}/taskade",
        events=["task.assigned"],
    )
    for name, value in {
        "TASKADE_TOKEN": taskade_fake.token,
        "TASKADE_BASE_URL": str(taskade_fake.base_url),
        "TASKADE_SPACE_ID": space.id,
        "TASKADE_AGENT_ID": agent.id,
        "TASKADE_WEBHOOK_SECRET": created.secret,
        "TASKADE_BOT_DB": str(tmp_path / "bot.db"),
    }.items():
        monkeypatch.setenv(name, value)
    try:
        yield World(project.id, task.id, sock)
    finally:
        sock.close()


@contextlib.asynccontextmanager
async def running_bot(
    world: World, wrap: Callable[[Callback], Callback], *, listen: bool = True
) -> AsyncIterator[None]:
    """examples/bot.py's app (on the world's socket if ``listen``), its inbox's callback
    wrapped by ``wrap``."""
    bot = load_bot()
    app = bot.make_app()
    inbox = app[bot.INBOX]
    inbox.callback = wrap(inbox.callback)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        if listen:
            await web.SockSite(runner, world.sock).start()
        yield
    finally:
        await runner.cleanup()


def notify(done: asyncio.Event) -> Callable[[Callback], Callback]:
    def wrap(callback: Callback) -> Callback:
        async def traced(event: events.Event) -> None:
            await callback(event)
            done.set()

        return traced

    return wrap


async def test_the_bot_writes_the_agent_s_answer_as_the_note(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """Assigning a task makes the fake deliver task.assigned (202); the answer becomes the note."""
    handled = asyncio.Event()
    async with running_bot(world, notify(handled)):
        await tasks.set_assignees(taskade_session, world.project, world.task, handles=["bob"])
        await asyncio.wait_for(handled.wait(), 30)
    assert [d.status for d in taskade_fake.deliveries] == [202]
    note = await tasks.get_note(taskade_session, world.project, world.task)
    assert note is not None
    assert note.value
    assert note.type == "text/markdown"
    assert any(r.path.endswith("/promptAgent") for r in taskade_fake.requests)
    assert taskade_fake.note(world.project, world.task) == note.value


async def test_a_delivery_recorded_before_a_restart_is_handled_after_it(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """The bot stops while its worker handles a delivery; started again, it handles it (the
    agent asked once in all) with no new delivery."""
    entered = asyncio.Event()

    def stuck(callback: Callback) -> Callback:
        async def hang(event: events.Event) -> None:
            entered.set()
            await asyncio.Event().wait()

        return hang

    async with running_bot(world, stuck):
        await tasks.set_assignees(taskade_session, world.project, world.task, handles=["bob"])
        await asyncio.wait_for(entered.wait(), 30)
    handled = asyncio.Event()
    async with running_bot(world, notify(handled), listen=False):  # no delivery can come
        await asyncio.wait_for(handled.wait(), 30)
    assert len(taskade_fake.deliveries) == 1
    assert len([r for r in taskade_fake.requests if r.path.endswith("/promptAgent")]) == 1
    assert taskade_fake.note(world.project, world.task)
