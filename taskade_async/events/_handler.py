"""The aiohttp.web handler for Taskade's deliveries, and the duplicate filter."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from taskade_async._errors import ValidationError

from ._models import Event, PayloadError, parse
from ._signature import SIGNATURE_HEADER, Secret, secrets_of, verify

__all__ = ["DEFAULT_MAX_BODY", "Deduplicator", "handler"]

#: The default cap on a delivery's body (Taskade's payloads are a few KB).
DEFAULT_MAX_BODY: Final = 4 * 1024 * 1024
_log = logging.getLogger("taskade_async")
_CHUNK: Final = 64 * 1024

Callback = Callable[[Event], Awaitable[object]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Deduplicator:
    """Remembers the deliveries seen recently, by the SHA-256 of their body.

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
        if not ttl > 0:
            raise ValidationError("ttl must be positive")
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValidationError("max_entries must be an int of at least 1")
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


def handler(
    callback: Callback,
    *,
    secret: Secret,
    max_body: int = DEFAULT_MAX_BODY,
    dedupe: Deduplicator | None = None,
) -> Handler:
    """An aiohttp.web handler that verifies, parses and hands each delivery to ``callback``.

    Mount it on a POST route: ``app.router.add_post("/taskade", handler(on_event,
    secret=...))``. Answers: 413 for a body over ``max_body`` bytes, 401 for a
    missing or bad signature (checked before anything is parsed), 400 for a
    body that is not a JSON object, 500 if ``callback`` raised (logged on the
    ``taskade_async`` logger with the event's name and the error, never the
    body), else 204. With ``dedupe``, a delivery already handled (or being
    handled) gets 200 and the callback is not called; one whose callback
    failed is forgotten, so a redelivery is handled again.
    """
    keys = secrets_of(secret)  # checked now, not at the first delivery
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
        raise ValidationError("max_body must be a positive int")

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await _read(request, max_body)
        if body is None:
            return web.Response(status=413, text=f"bodies are limited to {max_body} bytes")
        if not verify(keys, body, request.headers.get(SIGNATURE_HEADER)):
            return web.Response(status=401, text=f"missing or bad {SIGNATURE_HEADER}")
        try:
            event = parse(body)
        except PayloadError as exc:
            return web.Response(status=400, text=str(exc))
        if dedupe is not None and not dedupe.add(body):
            return web.Response(status=200, text="duplicate delivery: ignored")
        try:
            await callback(event)
        except Exception as exc:
            if dedupe is not None:
                dedupe.discard(body)
            _log.error(
                "%s delivery: the callback failed: %s: %s", event.name, type(exc).__name__, exc
            )
            return web.Response(status=500, text="the delivery could not be handled")
        return web.Response(status=204)

    return handle
