"""The aiohttp.web handler for Taskade's deliveries, and the duplicate filter.

The acknowledgement rule: a delivery gets a 2xx only once it was handled (or,
in inbox mode, durably recorded for handling). A copy that arrives while the
first is being handled waits for its outcome: 200 if it succeeded, 500 if it
failed (so the sender tries again), 503 if it takes longer than ``wait``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final, Literal, Protocol, overload

from aiohttp import web

from taskade_async._errors import ValidationError

from ._inbox import DEFAULT_LEASE, Inbox, finish, holding
from ._models import Event, PayloadError, parse
from ._signature import SIGNATURE_HEADER, Secret, secrets_of, verify
from ._store import Begin, MemoryStore, Store, check_retention, delivery_key, wall_clock

__all__ = ["DEFAULT_MAX_BODY", "Deduplicator", "Handler", "InboxHandler", "handler"]

#: The default cap on a delivery's body (Taskade's payloads are a few KB).
DEFAULT_MAX_BODY: Final = 4 * 1024 * 1024
_log = logging.getLogger("taskade_async")
_CHUNK: Final = 64 * 1024

Callback = Callable[[Event], Awaitable[object]]
#: How long a copy waits for the first copy's outcome before a 503, by default.
DEFAULT_WAIT: Final = 60.0


class Handler(Protocol):
    """What :func:`handler` returns: an aiohttp.web handler with its store and inbox."""

    @property
    def store(self) -> Store:
        """The delivery store."""

    @property
    def inbox(self) -> Inbox | None:
        """The inbox's workers in inbox mode, else None."""

    async def __call__(self, request: web.Request) -> web.StreamResponse: ...


class InboxHandler(Handler, Protocol):
    """What :func:`handler` returns in inbox mode."""

    @property
    def inbox(self) -> Inbox:
        """The inbox's workers: ``app.cleanup_ctx.append(h.inbox.serve)``."""


class Deduplicator:
    """Remembers the deliveries seen recently, by the SHA-256 of their body.

    Kept for scripts that use it: ``handler(..., dedupe=Deduplicator(ttl))`` is
    ``handler(..., store=MemoryStore(ttl))``.

    Taskade may deliver the same event twice; an identical body seen within
    ``ttl`` seconds is a duplicate. At most ``max_entries`` digests are kept
    (the oldest are forgotten first). ``clock`` is a monotonic clock in
    seconds (inject one in tests).
    """

    def __init__(
        self,
        ttl: float = 600.0,
        max_entries: int = 10_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_retention(ttl, max_entries)
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # digest -> expiry, oldest first

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._seen)

    def __repr__(self) -> str:
        return f"<Deduplicator ttl={self.ttl:g} entries={len(self._seen)}/{self.max_entries}>"

    def _expire(self, now: float) -> None:
        seen = self._seen
        while seen:
            digest, expiry = next(iter(seen.items()))
            if expiry > now:
                return
            del seen[digest]

    def add(self, body: bytes) -> bool:
        """Record ``body``; True if it is new, False if it is a duplicate."""
        digest = hashlib.sha256(body).digest()
        now = self._clock()
        self._expire(now)
        if digest in self._seen:
            return False
        self._seen[digest] = now + self.ttl
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True

    def discard(self, body: bytes) -> None:
        """Forget ``body`` (its handling failed: a redelivery should be handled)."""
        self._seen.pop(hashlib.sha256(body).digest(), None)


async def _read(request: web.Request, limit: int) -> bytes | None:
    """The body, or None if it is larger than ``limit`` (never reads more than that)."""
    declared = request.content_length
    if declared is not None and declared > limit:
        return None
    parts: list[bytes] = []
    size = 0
    while chunk := await request.content.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _answer(status: int, text: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=text, headers=headers or None)


def _outcome_answer(outcome: bool | None, wait: float) -> web.Response:
    """The answer to a copy that waited for another copy's handling."""
    if outcome is None:
        return _answer(503, f"still being handled after {wait:g} s", **{"Retry-After": "30"})
    if outcome:
        return _answer(200, "duplicate delivery: handled")
    return _answer(500, "the delivery could not be handled")


async def _watch(
    store: Store, key: str, first: Begin, wait: float, clock: Callable[[], float]
) -> bool | None:
    """Poll the store until the copy being handled elsewhere settles (None: ``wait`` passed)."""
    deadline = clock() + wait
    delay = 0.01
    while True:
        record = await store.get(key)
        if record is None or record.state == "failed" or record.attempts != first.attempts:
            return False
        if record.state != "handling":
            return True  # done, or recorded in an inbox
        if record.available_at <= clock():
            return False  # its handler stopped: the sender's next try takes it over
        if clock() >= deadline:
            return None
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


@overload
def handler(
    callback: Callback,
    *,
    secret: Secret,
    max_body: int = ...,
    store: Store | None = ...,
    inbox: Literal[True] | Inbox,
    dedupe: Deduplicator | None = ...,
    lease: float = ...,
    wait: float = ...,
    clock: Callable[[], float] = ...,
) -> InboxHandler: ...
@overload
def handler(
    callback: Callback,
    *,
    secret: Secret,
    max_body: int = ...,
    store: Store | None = ...,
    inbox: Literal[False] = ...,
    dedupe: Deduplicator | None = ...,
    lease: float = ...,
    wait: float = ...,
    clock: Callable[[], float] = ...,
) -> Handler: ...
@overload
def handler(
    callback: Callback,
    *,
    secret: Secret,
    max_body: int = ...,
    store: Store | None = ...,
    inbox: bool | Inbox = ...,
    dedupe: Deduplicator | None = ...,
    lease: float = ...,
    wait: float = ...,
    clock: Callable[[], float] = ...,
) -> Handler: ...
def handler(
    callback: Callback,
    *,
    secret: Secret,
    max_body: int = DEFAULT_MAX_BODY,
    store: Store | None = None,
    inbox: bool | Inbox = False,
    dedupe: Deduplicator | None = None,
    lease: float = DEFAULT_LEASE,
    wait: float = DEFAULT_WAIT,
    clock: Callable[[], float] = wall_clock,
) -> Handler:
    """An aiohttp.web handler that verifies, parses and hands each delivery to ``callback``.

    Mount it on a POST route: ``app.router.add_post("/taskade", handler(on_event,
    secret=...))``. Answers: 413 for a body over ``max_body`` bytes, 401 for a
    missing or bad signature (checked before anything is parsed), 400 for a
    body that is not a JSON object. Identical bodies are one delivery, tracked
    in ``store`` (default: a :class:`MemoryStore`).

    Directly (the default): 204 once ``callback`` returned; 500 if it raised
    (logged on the ``taskade_async`` logger with its traceback, never the
    body), and a redelivery runs it again; 200 for a copy of a delivery
    already handled. A copy arriving while another is handled waits for that
    outcome (up to ``wait`` seconds, then 503). ``lease``: how long a handling
    counts as running without renewal (it is renewed while the callback runs).

    ``inbox=True`` (or an :class:`Inbox` to configure its workers): each
    verified delivery is recorded in ``store`` and answered 202 at once; the
    inbox's workers run the callback. Start them with the app,
    ``app.cleanup_ctx.append(h.inbox.serve)``; otherwise they start at the first delivery.
    """
    keys = secrets_of(secret)  # checked now, not at the first delivery
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
        raise ValidationError("max_body must be a positive int")
    if not lease > 0 or not wait > 0:
        raise ValidationError("lease and wait must be positive")
    if store is None:
        if isinstance(inbox, Inbox):
            store = inbox.store
        elif dedupe is not None:
            store = MemoryStore(dedupe.ttl, dedupe.max_entries)
        else:
            store = MemoryStore()
    workers: Inbox | None = None
    if isinstance(inbox, Inbox):
        if inbox.store is not store:
            raise ValidationError("the inbox and the handler must use the same store")
        workers = inbox
    elif inbox:
        workers = Inbox(callback, store=store, lease=lease, clock=clock)
    chosen: Store = store
    outcomes: dict[str, asyncio.Future[bool | None]] = {}

    async def read_verified(request: web.Request) -> tuple[bytes, Event] | web.Response:
        body = await _read(request, max_body)
        if body is None:
            return _answer(413, f"bodies are limited to {max_body} bytes")
        if not verify(keys, body, request.headers.get(SIGNATURE_HEADER)):
            return _answer(401, f"missing or bad {SIGNATURE_HEADER}")
        try:
            return body, parse(body)
        except PayloadError as exc:
            return _answer(400, str(exc))

    async def record(request: web.Request) -> web.StreamResponse:
        got = await read_verified(request)
        if isinstance(got, web.Response):
            return got
        assert workers is not None
        if not workers.started:
            await workers.start()
            _log.warning(
                "the inbox's workers started at the first delivery: start them with the app "
                "(app.cleanup_ctx.append(handler.inbox.serve)) to resume after a restart"
            )
        try:
            new = await chosen.record(delivery_key(got[0]), got[0], clock())
        except Exception:
            _log.error("%s delivery: could not record it", got[1].name, exc_info=True)
            return _answer(503, "the delivery could not be recorded", **{"Retry-After": "5"})
        workers.wake()
        return _answer(202, "recorded" if new else "duplicate delivery: already recorded")

    async def run(key: str, event: Event, outcome: asyncio.Future[bool | None]) -> web.Response:
        owner = uuid.uuid4().hex
        try:
            first = await chosen.begin(key, owner, clock(), lease)
        except Exception:
            _log.error("%s delivery: the store failed", event.name, exc_info=True)
            outcome.set_result(False)
            return _answer(503, "the delivery could not be recorded", **{"Retry-After": "5"})
        if first.action == "done":
            outcome.set_result(True)
            return _answer(200, "duplicate delivery: ignored")
        if first.action == "busy":  # handled by another process sharing the store
            _log.debug("%s delivery %s: handled elsewhere: waiting", event.name, key[:12])
            result = await _watch(chosen, key, first, wait, clock)
            outcome.set_result(result)
            return _outcome_answer(result, wait)
        try:
            async with holding(chosen, key, owner, lease, clock):
                await callback(event)
        except BaseException as exc:
            outcome.set_result(False)
            with contextlib.suppress(Exception):
                await finish(chosen.settle(key, owner, "failed", clock()))
            if not isinstance(exc, Exception):
                raise
            _log.error("%s delivery: the callback failed", event.name, exc_info=exc)
            return _answer(500, "the delivery could not be handled")
        try:
            await finish(chosen.settle(key, owner, "done", clock()))
        except Exception:  # handled, but not noted: a redelivery may run it again
            _log.error("%s delivery: handled, but the store failed", event.name, exc_info=True)
        outcome.set_result(True)
        return web.Response(status=204)

    async def handle(request: web.Request) -> web.StreamResponse:
        got = await read_verified(request)
        if isinstance(got, web.Response):
            return got
        body, event = got
        key = delivery_key(body)
        running = outcomes.get(key)
        if running is not None:  # a copy being handled in this process: wait for it
            _log.debug("%s delivery %s: a copy is being handled: waiting", event.name, key[:12])
            try:
                result = await asyncio.wait_for(asyncio.shield(running), wait)
            except TimeoutError:
                result = None
            return _outcome_answer(result, wait)
        outcome: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        outcomes[key] = outcome
        try:
            return await run(key, event, outcome)
        finally:
            del outcomes[key]
            if not outcome.done():
                outcome.set_result(False)

    chosen_handler = record if workers is not None else handle
    chosen_handler.store = chosen  # type: ignore[attr-defined]
    chosen_handler.inbox = workers  # type: ignore[attr-defined]
    return chosen_handler  # type: ignore[return-value]
