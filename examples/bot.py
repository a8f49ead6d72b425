"""A Taskade bot: when tasks are assigned, ask an agent about each and write its answer as the note.

    TASKADE_TOKEN=... TASKADE_WEBHOOK_SECRET=... TASKADE_SPACE_ID=... TASKADE_AGENT_ID=... \\
        python examples/bot.py

It listens on $PORT (default 8080) at /taskade: register that URL (https, e.g.
through a tunnel) with ``taskade-async webhooks create`` for ``task.assigned``.
TASKADE_WEBHOOK_SECRET may list several secrets, comma-separated, during a rotation.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from aiohttp import web

import taskade_async as tk
from taskade_async import events
from taskade_async.api import agents, tasks

SESSION = web.AppKey("session", tk.Session)


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

    app.cleanup_ctx.append(taskade)
    handler = events.handler(on_event, secret=secrets, dedupe=events.Deduplicator())
    app.router.add_post("/taskade", handler)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), port=int(os.environ.get("PORT", "8080")))
