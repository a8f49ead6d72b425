"""Receive Taskade's signed webhook deliveries (API v2).

    from aiohttp import web
    from taskade_async import events

    async def on_event(event: events.Event) -> None:
        if isinstance(event, events.TaskAssigned):
            ...

    app = web.Application()
    app.router.add_post("/taskade", events.handler(on_event, secret=SECRET))

:func:`verify` and :func:`sign` work on the raw body bytes; :func:`parse`
turns a body into one of the event classes (inferred from its keys, as
Taskade's payloads do not name their event).
"""

from ._handler import DEFAULT_MAX_BODY, Deduplicator, handler
from ._models import (
    EVENTS,
    CommentCreated,
    Event,
    PayloadError,
    ProjectAssigned,
    ProjectCreated,
    ProjectJoined,
    TaskAssigned,
    TaskDue,
    TaskNode,
    UnknownEvent,
    parse,
)
from ._signature import SIGNATURE_HEADER, Secret, sign, verify

__all__ = [
    "DEFAULT_MAX_BODY",
    "EVENTS",
    "SIGNATURE_HEADER",
    "CommentCreated",
    "Deduplicator",
    "Event",
    "PayloadError",
    "ProjectAssigned",
    "ProjectCreated",
    "ProjectJoined",
    "Secret",
    "TaskAssigned",
    "TaskDue",
    "TaskNode",
    "UnknownEvent",
    "handler",
    "parse",
    "sign",
    "verify",
]
