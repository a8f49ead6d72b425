"""The delivery store: what a bot has seen, is handling, has handled, and still owes.

One record per distinct delivery body (its SHA-256 is the key: Taskade sends
no delivery id). Its ``state`` is one of:

- ``handling``: a webhook request is running the callback (direct mode);
- ``failed``: that callback raised (a redelivery runs it again);
- ``pending``: recorded in the inbox, waiting for a worker (from ``available_at``);
- ``running``: a worker holds it until its lease ends (``available_at``);
- ``done``: handled; a copy is a duplicate;
- ``dead``: the inbox gave up on it after ``max_attempts`` (replay it by hand).

A lease is an expiry time in ``available_at``: a ``handling`` or ``running``
record whose lease has passed belongs to a process that stopped, and is taken
again. The stores compare times that the caller passes in (seconds since the
epoch), so every decision can be tested with a hand-moved clock.
"""

from __future__ import annotations

import hashlib
import heapq
import time
from collections.abc import Iterable, Sequence
from typing import Final, Literal, Protocol, TypeAlias

import attrs

from taskade_async._errors import ValidationError

__all__ = [
    "STATES",
    "Begin",
    "Delivery",
    "MemoryStore",
    "State",
    "Store",
    "backoff",
    "delivery_key",
]

State: TypeAlias = Literal["handling", "failed", "pending", "running", "done", "dead"]
STATES: Final[tuple[State, ...]] = ("handling", "failed", "pending", "running", "done", "dead")
#: How long the durable stores keep done (and failed) records, by default: an hour. A
#: genuine event whose payload is identical to one handled within it (a task assigned
#: to the same people again) is taken for a repeat, so this is kept short.
DEFAULT_KEEP: Final = 3600.0
_PRUNE_EVERY: Final = 60.0


def delivery_key(body: bytes) -> str:
    """The key of a delivery: the SHA-256 of its exact bytes, in hex."""
    return hashlib.sha256(body).hexdigest()


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before trying a delivery again after its ``attempt``-th failure."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


@attrs.frozen
class Begin:
    """What :meth:`Store.begin` decided for one copy of a delivery.

    ``action`` is ``run`` (this copy handles it), ``done`` (it was handled or is
    recorded in the inbox: a duplicate) or ``busy`` (another copy is handling
    it now); ``attempts`` counts the handlings started so far.
    """

    action: Literal["run", "done", "busy"]
    attempts: int


@attrs.frozen
class Delivery:
    """One record of the store."""

    key: str
    state: State
    attempts: int
    received_at: float
    updated_at: float
    available_at: float
    body: bytes | None = attrs.field(default=None, repr=False)
    error: str | None = None


class Store(Protocol):
    """What :func:`~taskade_async.events.handler` and :class:`Inbox` need from a store.

    All methods are coroutines and must be safe for concurrent use by several
    tasks (and, for a shared store, processes): ``begin`` and ``claim`` are
    atomic. ``now`` is seconds since the epoch, ``lease`` a duration.
    """

    async def open(self) -> None:
        """Connect and create the schema if needed (idempotent)."""

    async def close(self) -> None:
        """Release connections (idempotent)."""

    async def begin(self, key: str, owner: str, now: float, lease: float) -> Begin:
        """Direct mode: take the delivery for handling unless it is done or busy."""

    async def record(self, key: str, body: bytes, now: float) -> bool:
        """Inbox mode: keep the delivery as ``pending``; False if it was already known."""

    async def claim(self, owner: str, now: float, lease: float) -> Delivery | None:
        """Take the oldest due ``pending`` (or lease-expired ``running``) delivery."""

    async def renew(self, key: str, owner: str, until: float) -> bool:
        """Extend ``owner``'s lease; False if the delivery is no longer its own."""

    async def settle(
        self,
        key: str,
        owner: str,
        state: State,
        now: float,
        *,
        available_at: float | None = None,
        error: str | None = None,
    ) -> bool:
        """End ``owner``'s handling with ``state``; False if it was no longer its own."""

    async def get(self, key: str) -> Delivery | None:
        """The record of ``key`` (with its body), or None."""

    async def list(self, states: Sequence[State], limit: int) -> list[Delivery]:
        """Records in these states, oldest first, without bodies."""

    async def replay(self, keys: Sequence[str] | None, now: float) -> int:
        """Make these dead letters (all if None) pending again, attempts reset."""

    async def purge(self, states: Sequence[State], older_than: float) -> int:
        """Delete records in these states last changed before ``older_than``."""


def check_states(states: Iterable[str]) -> list[State]:
    """``states`` as a list, each checked to be one of :data:`STATES`."""
    checked: list[State] = []
    for state in states:
        if state not in STATES:
            raise ValidationError(f"unknown delivery state {state!r}: one of {', '.join(STATES)}")
        checked.append(state)
    return checked


@attrs.define
class _Row:
    state: State
    attempts: int
    received_at: float
    updated_at: float
    available_at: float
    owner: str | None = None
    body: bytes | None = None
    error: str | None = None


class MemoryStore:
    """A store in this process's memory (the default): lost when it stops.

    ``done`` records are forgotten ``ttl`` seconds after they were handled, and
    at most ``max_entries`` of them are kept (the oldest go first); nothing
    else is ever dropped. Use :class:`SQLiteStore` to survive a restart.
    """

    def __init__(self, ttl: float = 600.0, max_entries: int = 10_000) -> None:
        if not ttl > 0:
            raise ValidationError("ttl must be positive")
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValidationError("max_entries must be an int of at least 1")
        self.ttl = ttl
        self.max_entries = max_entries
        self._rows: dict[str, _Row] = {}
        self._done: dict[str, float] = {}  # key -> handled at, oldest first
        # (available_at, key) of pending and running records; stale entries are skipped.
        self._due: list[tuple[float, str]] = []

    def __repr__(self) -> str:
        return f"<MemoryStore records={len(self._rows)}>"

    async def __aenter__(self) -> MemoryStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _forget_done(self, now: float) -> None:
        done = self._done
        while done:
            key, at = next(iter(done.items()))
            if at > now - self.ttl and len(done) <= self.max_entries:
                return
            del done[key]
            self._rows.pop(key, None)

    def _set_done(self, key: str, row: _Row, now: float) -> None:
        self._done.pop(key, None)
        if row.state == "done":
            self._done[key] = now

    async def begin(self, key: str, owner: str, now: float, lease: float) -> Begin:
        self._forget_done(now)
        row = self._rows.get(key)
        if row is None:
            self._rows[key] = _Row("handling", 1, now, now, now + lease, owner)
            return Begin("run", 1)
        if row.state == "failed" or (row.state == "handling" and row.available_at <= now):
            row.state, row.owner, row.available_at, row.updated_at = (
                "handling",
                owner,
                now + lease,
                now,
            )
            row.attempts += 1
            return Begin("run", row.attempts)
        return Begin("busy" if row.state == "handling" else "done", row.attempts)

    async def record(self, key: str, body: bytes, now: float) -> bool:
        self._forget_done(now)
        if key in self._rows:
            return False
        self._rows[key] = _Row("pending", 0, now, now, now, body=body)
        heapq.heappush(self._due, (now, key))
        return True

    async def claim(self, owner: str, now: float, lease: float) -> Delivery | None:
        due = self._due
        while due:
            at, key = due[0]
            row = self._rows.get(key)
            if row is None or row.state not in ("pending", "running") or row.available_at != at:
                heapq.heappop(due)  # stale: the record changed since
                continue
            if at > now:
                return None
            heapq.heappop(due)
            row.state, row.owner, row.updated_at = "running", owner, now
            row.available_at = now + lease
            row.attempts += 1
            heapq.heappush(due, (row.available_at, key))
            return _delivery(key, row)
        return None

    async def renew(self, key: str, owner: str, until: float) -> bool:
        row = self._rows.get(key)
        if row is None or row.owner != owner or row.state not in ("handling", "running"):
            return False
        row.available_at = until
        if row.state == "running":
            heapq.heappush(self._due, (until, key))
        return True

    async def settle(
        self,
        key: str,
        owner: str,
        state: State,
        now: float,
        *,
        available_at: float | None = None,
        error: str | None = None,
    ) -> bool:
        row = self._rows.get(key)
        if row is None or row.owner != owner or row.state not in ("handling", "running"):
            return False
        row.state, row.owner, row.updated_at, row.error = state, None, now, error
        row.available_at = now if available_at is None else available_at
        if state == "pending":
            heapq.heappush(self._due, (row.available_at, key))
        if state == "done":
            row.body = None
        self._set_done(key, row, now)
        self._forget_done(now)
        return True

    async def get(self, key: str) -> Delivery | None:
        row = self._rows.get(key)
        return None if row is None else _delivery(key, row)

    async def list(self, states: Sequence[State], limit: int) -> list[Delivery]:
        rows = [(k, r) for k, r in self._rows.items() if r.state in states]
        rows.sort(key=lambda kr: kr[1].received_at)
        return [attrs.evolve(_delivery(k, r), body=None) for k, r in rows[:limit]]

    async def replay(self, keys: Sequence[str] | None, now: float) -> int:
        count = 0
        for key, row in self._rows.items():
            if row.state == "dead" and (keys is None or key in keys):
                row.state, row.attempts, row.available_at, row.updated_at = "pending", 0, now, now
                row.error = None
                heapq.heappush(self._due, (now, key))
                count += 1
        return count

    async def purge(self, states: Sequence[State], older_than: float) -> int:
        gone = [k for k, r in self._rows.items() if r.state in states and r.updated_at < older_than]
        for key in gone:
            del self._rows[key]
            self._done.pop(key, None)
        return len(gone)


def _delivery(key: str, row: _Row) -> Delivery:
    return Delivery(
        key,
        row.state,
        row.attempts,
        row.received_at,
        row.updated_at,
        row.available_at,
        row.body,
        row.error,
    )


def wall_clock() -> float:
    """Seconds since the epoch: leases are compared across processes and machines."""
    return time.time()
