"""The inbox's workers: take recorded deliveries from a store and run the callback.

A worker claims a delivery with a lease, renews the lease while the callback
runs, and settles it: ``done``, ``pending`` again after a backoff if the
callback raised, or ``dead`` after ``max_attempts`` tries. A worker that dies
mid-callback renews nothing: its delivery is claimed again once the lease ends
(and that counts as a try, so an event that kills its worker ends as a dead
letter too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

from aiohttp import web

from taskade_async._errors import ValidationError

from ._models import Event, PayloadError, parse
from ._store import Delivery, Store, backoff, wall_clock

__all__ = ["Inbox", "finish", "holding"]

_log = logging.getLogger("taskade_async")
DEFAULT_LEASE: Final = 30.0


async def finish(settling: Awaitable[bool]) -> bool:
    """Await a store's ``settle`` to its end even if cancelled meanwhile (then re-raise).

    An outcome that is not recorded is a delivery handled twice, or a lease to wait out.
    """
    task = asyncio.ensure_future(settling)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


@contextlib.asynccontextmanager
async def holding(
    store: Store, key: str, owner: str, lease: float, clock: Callable[[], float]
) -> AsyncIterator[None]:
    """Renew ``owner``'s lease on ``key`` every third of ``lease`` while the block runs."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease / 3)
            try:
                if not await store.renew(key, owner, clock() + lease):
                    _log.warning("delivery %s: its lease was lost to another worker", key[:12])
                    return
            except Exception:
                _log.warning("delivery %s: could not renew its lease", key[:12], exc_info=True)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Inbox:
    """Workers that run ``callback`` on the deliveries recorded in ``store``.

    ``await Inbox(on_event, store=events.SQLiteStore("bot.db")).run()`` works
    until cancelled, with ``concurrency`` callbacks at a time. A failed
    callback is tried again after ``retry_backoff`` seconds, doubling up to
    ``max_backoff``; after ``max_attempts`` tries the delivery is a dead letter
    (``taskade-async webhooks inbox list|replay``). ``lease`` is how long a
    delivery stays claimed without renewal (it is renewed while the callback
    runs); an idle worker looks for work every ``poll`` seconds, and at once
    when a handler in the same process records a delivery.
    """

    def __init__(
        self,
        callback: Callable[[Event], Awaitable[object]],
        *,
        store: Store,
        concurrency: int = 1,
        lease: float = DEFAULT_LEASE,
        max_attempts: int = 5,
        retry_backoff: float = 1.0,
        max_backoff: float = 300.0,
        poll: float = 0.5,
        clock: Callable[[], float] = wall_clock,
    ) -> None:
        for name, value in (("concurrency", concurrency), ("max_attempts", max_attempts)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{name} must be an int of at least 1")
        if not lease > 0 or not poll > 0 or retry_backoff < 0 or max_backoff < retry_backoff:
            raise ValidationError(
                "lease and poll must be positive, 0 <= retry_backoff <= max_backoff"
            )
        self.callback = callback
        self.store = store
        self.concurrency = concurrency
        self.lease = lease
        self.max_attempts = max_attempts
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self.poll = poll
        self._clock = clock
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<Inbox store={self.store!r} concurrency={self.concurrency}>"

    @property
    def started(self) -> bool:
        """Whether :meth:`start` runs the workers now."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Tell idle workers of this process that a delivery was recorded."""
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Handle deliveries until cancelled (opens the store; does not close it)."""
        await self.store.open()
        self._wake = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            for _ in range(self.concurrency):
                group.create_task(self._work())

    async def _work(self) -> None:
        wake = self._wake
        assert wake is not None
        while True:
            try:
                if await self.handle_one():
                    continue
            except Exception:  # the store failed: keep going, it may come back
                _log.error("inbox: could not take a delivery from the store", exc_info=True)
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.poll)

    async def drain(self) -> int:
        """Handle every delivery that is due now, then return how many were taken."""
        await self.store.open()
        count = 0
        while await self.handle_one():
            count += 1
        return count

    async def serve(self, app: web.Application) -> AsyncIterator[None]:
        """An aiohttp cleanup context: ``app.cleanup_ctx.append(inbox.serve)``.

        Starts the workers with the app (so deliveries recorded before a
        restart are handled at once) and stops them, and closes the store, with it.
        """
        await self.start()
        try:
            yield
        finally:
            await self.stop()
            await self.store.close()

    async def start(self) -> None:
        """Run the workers in a task of their own (no-op if they run)."""
        if not self.started:
            await self.store.open()
            self._task = asyncio.create_task(self.run(), name="taskade-inbox")

    async def stop(self) -> None:
        """Cancel the workers started by :meth:`start` (a delivery being handled is released)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def handle_one(self) -> bool:
        """Claim one due delivery and handle it; False if none was due."""
        owner = uuid.uuid4().hex
        delivery = await self.store.claim(owner, self._clock(), self.lease)
        if delivery is None:
            return False
        if delivery.attempts > self.max_attempts:  # its workers stopped mid-callback each time
            error = f"abandoned by its worker {delivery.attempts - 1} times"
            await finish(self.store.settle(delivery.key, owner, "dead", self._clock(), error=error))
            _log.error("delivery %s: dead letter (%s)", delivery.key[:12], error)
            return True
        try:
            event = parse(delivery.body or b"")
        except PayloadError as exc:
            await finish(
                self.store.settle(delivery.key, owner, "dead", self._clock(), error=str(exc))
            )
            return True
        await self._run(delivery, event, owner)
        return True

    async def _run(self, delivery: Delivery, event: Event, owner: str) -> None:
        key, attempts = delivery.key, delivery.attempts
        try:
            async with holding(self.store, key, owner, self.lease, self._clock):
                await self.callback(event)
        except asyncio.CancelledError:  # stopping: let another worker take it now
            with contextlib.suppress(Exception):
                now = self._clock()
                await finish(self.store.settle(key, owner, "pending", now))
            raise
        except Exception as exc:
            now = self._clock()
            error = f"{type(exc).__name__}: {exc}"
            if attempts >= self.max_attempts:
                _log.error(
                    "%s delivery %s: the callback failed (try %d of %d): now a dead letter",
                    event.name,
                    key[:12],
                    attempts,
                    self.max_attempts,
                    exc_info=exc,
                )
                await finish(self.store.settle(key, owner, "dead", now, error=error))
                return
            delay = backoff(attempts, self.retry_backoff, self.max_backoff)
            _log.error(
                "%s delivery %s: the callback failed (try %d of %d): again in %.3g s",
                event.name,
                key[:12],
                attempts,
                self.max_attempts,
                delay,
                exc_info=exc,
            )
            await finish(
                self.store.settle(key, owner, "pending", now, available_at=now + delay, error=error)
            )
            return
        if not await finish(self.store.settle(key, owner, "done", self._clock())):
            _log.warning(
                "delivery %s: handled, but its lease had passed to another worker", key[:12]
            )
