"""Fixtures of the bots tests: a real PostgreSQL server, and each kind of delivery store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from taskade_async import events
from tests.events._postgres import postgres_server

__all__ = ["make_store", "postgres_server", "store_kind"]

StoreFactory = Callable[[], events.Store]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each built-in store in turn."""
    return str(request.param)


@pytest.fixture
async def make_store(
    store_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[StoreFactory]:
    """Makes stores of ``store_kind`` that all share one place (one file, one table)."""
    made: list[events.Store] = []
    table = f"t_{uuid.uuid4().hex[:12]}"
    memory = events.MemoryStore()
    dsn = request.getfixturevalue("postgres_server") if store_kind == "postgres" else ""

    def make() -> events.Store:
        store: events.Store
        if store_kind == "memory":
            store = memory
        elif store_kind == "sqlite":
            store = events.SQLiteStore(tmp_path / "inbox.db")
        else:
            store = events.PostgresStore(dsn, table=table)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()
