"""SQLiteStore: the delivery store in one SQLite file (stdlib ``sqlite3``).

Every statement runs on one thread of its own, off the event loop. The file is
in WAL mode with a busy timeout, and each decision (``begin``, ``claim``,
``settle``) is one atomic statement, so several processes on one machine can
share the file. Not for a network file system: use PostgreSQL across machines.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, Literal, TypeVar

from taskade_async._errors import ValidationError

from ._store import DEFAULT_KEEP, Begin, Delivery, State

__all__ = ["SQLiteStore"]

T = TypeVar("T")
_PRUNE_EVERY: Final = 60.0
_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS taskade_deliveries (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    received_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    available_at REAL NOT NULL,
    owner TEXT,
    body BLOB,
    error TEXT
);
CREATE INDEX IF NOT EXISTS taskade_deliveries_due
    ON taskade_deliveries (state, available_at);
"""
_COLUMNS: Final = "key, state, attempts, received_at, updated_at, available_at"
_BEGIN: Final = """
INSERT INTO taskade_deliveries (key, state, attempts, received_at, updated_at, available_at, owner)
VALUES (?1, 'handling', 1, ?2, ?2, ?3, ?4)
ON CONFLICT (key) DO UPDATE SET
    state = 'handling', attempts = attempts + 1, updated_at = ?2, available_at = ?3, owner = ?4
WHERE state = 'failed' OR (state = 'handling' AND available_at <= ?2)
RETURNING attempts
"""
_CLAIM: Final = f"""
UPDATE taskade_deliveries
SET state = 'running', attempts = attempts + 1, updated_at = ?1, available_at = ?2, owner = ?3
WHERE key = (
    SELECT key FROM taskade_deliveries
    WHERE state IN ('pending', 'running') AND available_at <= ?1
    ORDER BY available_at LIMIT 1
)
RETURNING {_COLUMNS}, body, error
"""


class SQLiteStore:
    """Deliveries kept in the SQLite file at ``path`` (created if missing).

    Durable across restarts, and safe for several processes on one machine.
    ``done`` records are deleted ``keep`` seconds after they were handled.
    ``synchronous`` is SQLite's setting: ``FULL`` (the default) makes each
    acknowledged delivery survive a power cut, ``NORMAL`` only a crash of the
    process. ``busy_timeout`` is how long a writer waits for another's lock.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keep: float = DEFAULT_KEEP,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        busy_timeout: float = 30.0,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValidationError("synchronous must be 'FULL' or 'NORMAL'")
        if not keep > 0 or not busy_timeout > 0:
            raise ValidationError("keep and busy_timeout must be positive")
        self.path = os.fspath(path)
        self.keep = keep
        self._synchronous = synchronous
        self._busy_ms = int(busy_timeout * 1000)
        self._executor: ThreadPoolExecutor | None = None
        self._queue: deque[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any], Any]]
        self._queue = deque()
        self._db: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._pruned_at = 0.0

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path!r}>"

    async def __aenter__(self) -> SQLiteStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._db is None:
            await self.open()
        assert self._executor is not None
        db = self._db
        assert db is not None
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, db)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a write transaction; concurrent writes share one commit.

        Writes queued while the thread was busy run together, each in a savepoint
        of its own (a failure undoes only its own statements), under one ``BEGIN
        IMMEDIATE`` (the write lock taken first: a deferred transaction that reads
        then writes fails at once when another process wrote in between) and one
        ``COMMIT``; each caller resumes once that commit is durable.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._queue.append((fn, done, loop))
        await self._run(self._commit_queued)
        return await done

    def _commit_queued(self, db: sqlite3.Connection) -> None:
        batch: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any], Any]] = []
        while self._queue:
            batch.append(self._queue.popleft())
        if not batch:
            return  # an earlier call committed this caller's write with its own
        outcomes: list[tuple[bool, Any]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for fn, _, _ in batch:
                    db.execute("SAVEPOINT one")
                    try:
                        outcomes.append((True, fn(db)))
                    except Exception as exc:
                        db.execute("ROLLBACK TO one")
                        outcomes.append((False, exc))
                    db.execute("RELEASE one")
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except Exception as exc:  # nothing was committed: every caller gets the error
            outcomes = [(False, exc)] * len(batch)
        for (_, done, loop), (ok, value) in zip(batch, outcomes, strict=True):
            loop.call_soon_threadsafe(_resolve, done, ok, value)

    async def open(self) -> None:
        async with self._lock:
            if self._db is not None:
                return
            executor = ThreadPoolExecutor(1, thread_name_prefix="taskade-sqlite")
            try:
                loop = asyncio.get_running_loop()
                self._db = await loop.run_in_executor(executor, self._connect)
            except BaseException:
                executor.shutdown(wait=False)
                raise
            self._executor = executor

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self._busy_ms / 1000, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute(f"PRAGMA synchronous = {self._synchronous}")
            db.executescript(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            db, executor = self._db, self._executor
            self._db = self._executor = None
            if db is None or executor is None:
                return
            await asyncio.get_running_loop().run_in_executor(executor, db.close)
            executor.shutdown(wait=True)

    async def _prune(self, now: float) -> None:
        if now - self._pruned_at < _PRUNE_EVERY:
            return
        self._pruned_at = now
        await self.purge(["done", "failed"], now - self.keep)

    async def begin(self, key: str, owner: str, now: float, lease: float) -> Begin:
        await self._prune(now)

        def go(db: sqlite3.Connection) -> Begin:
            row = db.execute(_BEGIN, (key, now, now + lease, owner)).fetchone()
            if row is not None:
                return Begin("run", int(row[0]))
            state, attempts = db.execute(
                "SELECT state, attempts FROM taskade_deliveries WHERE key = ?", (key,)
            ).fetchone()
            return Begin("busy" if state == "handling" else "done", int(attempts))

        return await self._write(go)

    async def record(self, key: str, body: bytes, now: float) -> bool:
        await self._prune(now)
        sql = (
            "INSERT INTO taskade_deliveries (key, state, attempts, received_at, updated_at,"
            " available_at, body) VALUES (?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
        )
        params = (key, now, now, now, body)
        return await self._write(lambda db: db.execute(sql, params).rowcount == 1)

    async def claim(self, owner: str, now: float, lease: float) -> Delivery | None:
        params = (now, now + lease, owner)
        row = await self._write(lambda db: db.execute(_CLAIM, params).fetchone())
        return None if row is None else _delivery(row)

    async def renew(self, key: str, owner: str, until: float) -> bool:
        sql = (
            "UPDATE taskade_deliveries SET available_at = ? WHERE key = ? AND owner = ?"
            " AND state IN ('handling', 'running')"
        )
        params = (until, key, owner)
        return await self._write(lambda db: db.execute(sql, params).rowcount == 1)

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
        sql = (
            "UPDATE taskade_deliveries SET state = ?, owner = NULL, updated_at = ?,"
            " available_at = ?, error = ?, body = CASE WHEN ? = 'done' THEN NULL ELSE body END"
            " WHERE key = ? AND owner = ? AND state IN ('handling', 'running')"
        )
        at = now if available_at is None else available_at
        params = (state, now, at, error, state, key, owner)
        return await self._write(lambda db: db.execute(sql, params).rowcount == 1)

    async def get(self, key: str) -> Delivery | None:
        sql = f"SELECT {_COLUMNS}, body, error FROM taskade_deliveries WHERE key = ?"
        row = await self._run(lambda db: db.execute(sql, (key,)).fetchone())
        return None if row is None else _delivery(row)

    async def list(self, states: Sequence[State], limit: int) -> list[Delivery]:
        marks = ", ".join("?" * len(states)) or "NULL"
        sql = (
            f"SELECT {_COLUMNS}, NULL, error FROM taskade_deliveries WHERE state IN ({marks})"
            " ORDER BY received_at LIMIT ?"
        )
        rows = await self._run(lambda db: db.execute(sql, (*states, limit)).fetchall())
        return [_delivery(row) for row in rows]

    async def replay(self, keys: Sequence[str] | None, now: float) -> int:
        sql = (
            "UPDATE taskade_deliveries SET state = 'pending', attempts = 0, updated_at = ?,"
            " available_at = ?, error = NULL WHERE state = 'dead'"
        )
        if keys is None:
            return await self._write(lambda db: db.execute(sql, (now, now)).rowcount)

        def each(db: sqlite3.Connection) -> int:
            return sum(db.execute(sql + " AND key = ?", (now, now, k)).rowcount for k in keys)

        return await self._write(each)

    async def purge(self, states: Sequence[State], older_than: float) -> int:
        marks = ", ".join("?" * len(states)) or "NULL"
        sql = f"DELETE FROM taskade_deliveries WHERE state IN ({marks}) AND updated_at < ?"
        params = (*states, older_than)
        return await self._write(lambda db: db.execute(sql, params).rowcount)


def _resolve(done: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if done.done():  # its caller was cancelled meanwhile
        return
    if ok:
        done.set_result(value)
    else:
        done.set_exception(value)


def _delivery(row: Any) -> Delivery:
    key, state, attempts, received, updated, available, body, error = row
    return Delivery(
        key,
        state,
        int(attempts),
        received,
        updated,
        available,
        None if body is None else bytes(body),
        error,
    )
