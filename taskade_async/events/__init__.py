"""Receive Taskade's signed webhook deliveries (API v2).

    from aiohttp import web
    from taskade_async import events

    async def on_event(event: events.Event) -> None:
        if isinstance(event, events.TaskAssigned):
            ...

    app = web.Application()
    app.router.add_post("/taskade", events.handler(on_event, secret=SECRET))

A copy of a delivery is acknowledged only once the first was handled. For
slow callbacks, ``events.handler(on_event, secret=SECRET, store=events.SQLiteStore(
"bot.db"), inbox=True)`` records each delivery and answers 202 at once; its
workers (or :class:`Inbox` in other processes) run the callback, with retries
and dead letters. :class:`PostgresStore` shares one inbox across machines.

:func:`verify` and :func:`sign` work on the raw body bytes; :func:`parse`
turns a body into one of the event classes (inferred from its keys, as
Taskade's payloads do not name their event).
"""

from ._handler import DEFAULT_MAX_BODY, Deduplicator, Handler, InboxHandler, handler
from ._inbox import Inbox
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
from ._postgres import PostgresStore
from ._signature import SIGNATURE_HEADER, Secret, sign, verify
from ._sqlite import SQLiteStore
from ._store import STATES, Begin, Delivery, MemoryStore, State, Store, delivery_key

__all__ = [
    "DEFAULT_MAX_BODY",
    "EVENTS",
    "SIGNATURE_HEADER",
    "STATES",
    "Begin",
    "CommentCreated",
    "Deduplicator",
    "Delivery",
    "Event",
    "Handler",
    "Inbox",
    "InboxHandler",
    "MemoryStore",
    "PayloadError",
    "PostgresStore",
    "ProjectAssigned",
    "ProjectCreated",
    "ProjectJoined",
    "SQLiteStore",
    "Secret",
    "State",
    "Store",
    "TaskAssigned",
    "TaskDue",
    "TaskNode",
    "UnknownEvent",
    "delivery_key",
    "handler",
    "parse",
    "sign",
    "verify",
]
