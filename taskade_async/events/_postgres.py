"""PostgresStore: the delivery store in PostgreSQL (``asyncpg``, extra ``postgres``).

For bots on several machines: every decision is one statement, and a claim
takes a row with ``FOR UPDATE SKIP LOCKED``, so workers never wait for one
another nor take the same delivery.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from taskade_async._errors import ValidationError

from ._store import DEFAULT_KEEP, ROW_COLUMNS, Begin, Delivery, State, delivery_of_row

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresStore"]

_PRUNE_EVERY: Final = 60.0


class PostgresStore:
    """Deliveries kept in a PostgreSQL table (``taskade_deliveries`` unless ``table`` is given).

    ``dsn`` is a libpq URL, ``postgresql://user:password@host/db``; the table is
    created at first use. ``pool_size`` caps the connections of this process.
    Needs ``pip install 'taskade-async[postgres]'``.
    """

    def __init__(
        self,
        dsn: str,
        *,
        table: str = "taskade_deliveries",
        keep: float = DEFAULT_KEEP,
        pool_size: int = 5,
    ) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", table):
            raise ValidationError("table must be a lowercase SQL name")
        if not keep > 0 or isinstance(pool_size, bool) or pool_size < 1:
            raise ValidationError("keep must be positive and pool_size at least 1")
        self._dsn = dsn
        self.table = table
        self.keep = keep
        self._pool_size = pool_size
        self._pool: asyncpg.Pool[Any] | None = None
        self._lock = asyncio.Lock()
        self._pruned_at = 0.0
        t = table
        self._begin = f"""
            INSERT INTO {t} AS d
                (key, state, attempts, received_at, updated_at, available_at, owner)
            VALUES ($1, 'handling', 1, $2, $2, $3, $4)
            ON CONFLICT (key) DO UPDATE SET state = 'handling', attempts = d.attempts + 1,
                updated_at = $2, available_at = $3, owner = $4
            WHERE d.state = 'failed' OR (d.state = 'handling' AND d.available_at <= $2)
            RETURNING attempts"""
        self._claim = f"""
            UPDATE {t} SET state = 'running', attempts = attempts + 1, updated_at = $1,
                available_at = $2, owner = $3
            WHERE key = (
                SELECT key FROM {t} WHERE state IN ('pending', 'running') AND available_at <= $1
                ORDER BY available_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING {ROW_COLUMNS}, body, error"""

    def __repr__(self) -> str:
        return f"<PostgresStore table={self.table}>"  # never the DSN: it may hold a password

    async def __aenter__(self) -> PostgresStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        async with self._lock:
            if self._pool is not None:
                return
            try:
                import asyncpg
            except ImportError:
                raise ValidationError(
                    "PostgresStore needs asyncpg: pip install 'taskade-async[postgres]'"
                ) from None
            pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=self._pool_size)
            t = self.table
            try:
                # One creator at a time: CREATE ... IF NOT EXISTS races between processes.
                async with pool.acquire() as db, db.transaction():
                    await db.execute("SELECT pg_advisory_xact_lock(hashtext($1))", t)
                    await db.execute(
                        f"""CREATE TABLE IF NOT EXISTS {t} (
                                key TEXT PRIMARY KEY, state TEXT NOT NULL,
                                attempts INTEGER NOT NULL, received_at DOUBLE PRECISION NOT NULL,
                                updated_at DOUBLE PRECISION NOT NULL,
                                available_at DOUBLE PRECISION NOT NULL,
                                owner TEXT, body BYTEA, error TEXT);
                            CREATE INDEX IF NOT EXISTS {t}_due ON {t} (state, available_at)"""
                    )
            except BaseException:
                await pool.close()
                raise
            self._pool = pool

    async def close(self) -> None:
        async with self._lock:
            pool, self._pool = self._pool, None
            if pool is not None:
                await pool.close()

    async def _db(self) -> asyncpg.Pool[Any]:
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        return self._pool

    async def _prune(self, now: float) -> None:
        if now - self._pruned_at >= _PRUNE_EVERY:
            self._pruned_at = now
            await self.purge(["done", "failed"], now - self.keep)

    async def begin(self, key: str, owner: str, now: float, lease: float) -> Begin:
        await self._prune(now)
        pool = await self._db()
        attempts = await pool.fetchval(self._begin, key, now, now + lease, owner)
        if attempts is not None:
            return Begin("run", int(attempts))
        row = await pool.fetchrow(f"SELECT state, attempts FROM {self.table} WHERE key = $1", key)
        if row is None:  # purged in between: a fresh delivery for the sender's next try
            return Begin("busy", 0)
        return Begin("busy" if row["state"] == "handling" else "done", int(row["attempts"]))

    async def record(self, key: str, body: bytes, now: float) -> bool:
        await self._prune(now)
        pool = await self._db()
        status = await pool.execute(
            f"INSERT INTO {self.table} (key, state, attempts, received_at, updated_at,"
            " available_at, body) VALUES ($1, 'pending', 0, $2, $2, $2, $3)"
            " ON CONFLICT (key) DO NOTHING",
            key,
            now,
            body,
        )
        return bool(status == "INSERT 0 1")

    async def claim(self, owner: str, now: float, lease: float) -> Delivery | None:
        pool = await self._db()
        row = await pool.fetchrow(self._claim, now, now + lease, owner)
        return None if row is None else delivery_of_row(row)

    async def renew(self, key: str, owner: str, until: float) -> bool:
        pool = await self._db()
        status = await pool.execute(
            f"UPDATE {self.table} SET available_at = $1 WHERE key = $2 AND owner = $3"
            " AND state IN ('handling', 'running')",
            until,
            key,
            owner,
        )
        return bool(status == "UPDATE 1")

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
        pool = await self._db()
        status = await pool.execute(
            f"UPDATE {self.table} SET state = $1, owner = NULL, updated_at = $2,"
            " available_at = $3, error = $4, body = CASE WHEN $1 = 'done' THEN NULL ELSE body END"
            " WHERE key = $5 AND owner = $6 AND state IN ('handling', 'running')",
            state,
            now,
            now if available_at is None else available_at,
            error,
            key,
            owner,
        )
        return bool(status == "UPDATE 1")

    async def get(self, key: str) -> Delivery | None:
        pool = await self._db()
        row = await pool.fetchrow(
            f"SELECT {ROW_COLUMNS}, body, error FROM {self.table} WHERE key = $1", key
        )
        return None if row is None else delivery_of_row(row)

    async def list(self, states: Sequence[State], limit: int) -> list[Delivery]:
        pool = await self._db()
        rows = await pool.fetch(
            f"SELECT {ROW_COLUMNS}, NULL::bytea AS body, error FROM {self.table}"
            " WHERE state = ANY($1::text[]) ORDER BY received_at LIMIT $2",
            list(states),
            limit,
        )
        return [delivery_of_row(row) for row in rows]

    async def replay(self, keys: Sequence[str] | None, now: float) -> int:
        pool = await self._db()
        sql = (
            f"UPDATE {self.table} SET state = 'pending', attempts = 0, updated_at = $1,"
            " available_at = $1, error = NULL WHERE state = 'dead'"
        )
        if keys is None:
            status = await pool.execute(sql, now)
        else:
            status = await pool.execute(sql + " AND key = ANY($2::text[])", now, list(keys))
        return int(status.split()[-1])

    async def purge(self, states: Sequence[State], older_than: float) -> int:
        pool = await self._db()
        status = await pool.execute(
            f"DELETE FROM {self.table} WHERE state = ANY($1::text[]) AND updated_at < $2",
            list(states),
            older_than,
        )
        return int(status.split()[-1])
