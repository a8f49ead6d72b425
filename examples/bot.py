"""A Taskade bot: when tasks are assigned, ask an agent about each and write its answer as the note.

    TASKADE_TOKEN=... TASKADE_WEBHOOK_SECRET=... TASKADE_SPACE_ID=... TASKADE_AGENT_ID=... \\
        python examples/bot.py

It listens on $PORT (default 8080) at /taskade: register that URL (https, e.g.
through a tunnel) with ``taskade-async webhooks create`` for ``task.assigned``.
TASKADE_WEBHOOK_SECRET may list several secrets, comma-separated, during a rotation.

An agent can take minutes to answer, longer than Taskade waits for a reply:
each verified delivery is recorded in an inbox (the SQLite file
$TASKADE_BOT_DB, default bot.db) and answered 202 at once; the inbox's worker
then asks the agent, retrying a failure with backoff, and keeps what still
fails as a dead letter (``taskade-async webhooks inbox list --store bot.db``).
A delivery recorded before a crash or restart is handled when the bot is back,
and a repeated delivery is handled once.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from aiohttp import web

import taskade_async as tk
from taskade_async import events
from taskade_async.api import agents, tasks

SESSION = web.AppKey("session", tk.Session)
INBOX = web.AppKey("inbox", events.Inbox)


def make_app() -> web.Application:
    """The bot's web app (reads its settings from the environment)."""
    space_id, agent_id = os.environ["TASKADE_SPACE_ID"], os.environ["TASKADE_AGENT_ID"]
    secrets = os.environ["TASKADE_WEBHOOK_SECRET"].split(",")
    app = web.Application()

    async def on_event(event: events.Event) -> None:
        if not isinstance(event, events.TaskAssigned) or event.project_id is None:
            return
        session = app[SESSION]
        for node in event.nodes:
            if node.node_id is None:
                continue
            prompt = f"How should I go about this task from {event.project_name}? {node.node_text}"
            answer = await agents.prompt(session, space_id, agent_id, prompt=prompt)
            await tasks.set_note(
                session, event.project_id, node.node_id, type="text/markdown", value=answer
            )

    async def taskade(app: web.Application) -> AsyncIterator[None]:
        base_url = os.environ.get("TASKADE_BASE_URL", str(tk.DEFAULT_BASE_URL))
        async with tk.Session(base_url=base_url) as session:  # token: $TASKADE_TOKEN
            app[SESSION] = session
            yield

    app.cleanup_ctx.append(taskade)  # first: the session outlives the inbox's worker
    store = events.SQLiteStore(os.environ.get("TASKADE_BOT_DB", "bot.db"))
    handler = events.handler(on_event, secret=secrets, store=store, inbox=True)
    app.cleanup_ctx.append(handler.inbox.serve)  # the worker starts and stops with the app
    app[INBOX] = handler.inbox
    app.router.add_post("/taskade", handler)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), port=int(os.environ.get("PORT", "8080")))
