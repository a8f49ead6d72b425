"""The delivery stores' contract, the same for memory, SQLite and PostgreSQL (times passed in)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from taskade_async import ValidationError, events
from taskade_async.events._store import backoff, check_states

StoreFactory = Callable[[], events.Store]
T0 = 1_000_000.0


async def test_begin_runs_once_then_reports_busy_then_done(make_store: StoreFactory) -> None:
    """The first copy runs; a copy during its handling is busy; after success, done."""
    store = make_store()
    assert await store.begin("k", "a", T0, 30) == events._store.Begin("run", 1)
    assert (await store.begin("k", "b", T0 + 1, 30)).action == "busy"
    assert await store.settle("k", "a", "done", T0 + 2)
    assert (await store.begin("k", "c", T0 + 3, 30)).action == "done"


async def test_a_failed_handling_is_run_again(make_store: StoreFactory) -> None:
    """After a failure the next copy runs it again (attempts counted)."""
    store = make_store()
    await store.begin("k", "a", T0, 30)
    assert await store.settle("k", "a", "failed", T0 + 1)
    assert await store.begin("k", "b", T0 + 2, 30) == events._store.Begin("run", 2)


async def test_an_expired_handling_lease_is_taken_over(make_store: StoreFactory) -> None:
    """A handler that stopped without settling loses its lease: a later copy runs, and the
    stopped one can no longer settle."""
    store = make_store()
    await store.begin("k", "a", T0, 30)
    assert (await store.begin("k", "b", T0 + 29, 30)).action == "busy"
    assert (await store.begin("k", "b", T0 + 30, 30)).action == "run"
    assert not await store.settle("k", "a", "done", T0 + 31)
    assert await store.settle("k", "b", "done", T0 + 31)


async def test_a_replay_after_a_restart_is_caught(make_store: StoreFactory) -> None:
    """A delivery handled through one store object is done for a new one on the same place
    (the durable stores: after a restart)."""
    first = make_store()
    await first.begin("k", "a", T0, 30)
    await first.settle("k", "a", "done", T0 + 1)
    await first.close()
    second = make_store()
    assert (await second.begin("k", "b", T0 + 2, 30)).action == "done"


async def test_record_claim_settle(make_store: StoreFactory) -> None:
    """Inbox: a recorded delivery is claimed once, oldest first, with its body."""
    store = make_store()
    assert await store.record("k1", b"one", T0)
    assert await store.record("k2", b"two", T0 + 1)
    assert not await store.record("k1", b"one", T0 + 2)
    got = await store.claim("w", T0 + 3, 30)
    assert got is not None
    assert (got.key, got.body, got.attempts, got.state) == ("k1", b"one", 1, "running")
    assert (await store.begin("k1", "x", T0 + 3, 30)).action == "done"  # recorded: a duplicate
    second = await store.claim("w", T0 + 3, 30)
    assert second is not None
    assert second.key == "k2"
    assert await store.claim("w", T0 + 3, 30) is None
    assert await store.settle("k1", "w", "done", T0 + 4)
    record = await store.get("k1")
    assert record is not None
    assert (record.state, record.body) == ("done", None)


async def test_a_running_delivery_is_claimed_again_after_its_lease(
    make_store: StoreFactory,
) -> None:
    """A claimed delivery whose lease is not renewed is claimed again when it ends."""
    store = make_store()
    await store.record("k", b"body", T0)
    assert await store.claim("dead-worker", T0, 10) is not None
    assert await store.claim("other", T0 + 9.9, 10) is None
    assert await store.renew("k", "dead-worker", T0 + 20)  # still its own: the lease moves on
    assert await store.claim("other", T0 + 19.9, 10) is None
    again = await store.claim("other", T0 + 20, 10)
    assert again is not None
    assert again.attempts == 2
    assert not await store.renew("k", "dead-worker", T0 + 40)
    assert not await store.settle("k", "dead-worker", "done", T0 + 21)


async def test_a_retry_waits_for_its_time(make_store: StoreFactory) -> None:
    """A delivery put back as pending with available_at is not claimed before then."""
    store = make_store()
    await store.record("k", b"body", T0)
    await store.claim("w", T0, 10)
    await store.settle("k", "w", "pending", T0 + 1, available_at=T0 + 5, error="boom")
    assert await store.claim("w", T0 + 4.9, 10) is None
    got = await store.claim("w", T0 + 5, 10)
    assert got is not None
    assert (got.attempts, got.error) == (2, "boom")


async def test_dead_letters_are_listed_replayed_and_purged(make_store: StoreFactory) -> None:
    """Dead letters are listed without bodies, replayed as pending (attempts reset), purged."""
    store = make_store()
    for i in range(3):
        await store.record(f"k{i}", b"body", T0 + i)
        await store.claim("w", T0 + 10, 10)
        await store.settle(f"k{i}", "w", "dead", T0 + 11, error="gave up")
    dead = await store.list(["dead"], 10)
    assert [(d.key, d.body, d.error) for d in dead] == [
        (f"k{i}", None, "gave up") for i in range(3)
    ]
    assert await store.replay(["k0"], T0 + 12) == 1
    assert [d.key for d in await store.list(["pending"], 10)] == ["k0"]
    got = await store.claim("w", T0 + 12, 10)
    assert got is not None
    assert (got.key, got.attempts) == ("k0", 1)
    assert await store.purge(["dead"], T0 + 11.5) == 2
    assert await store.list(["dead"], 10) == []
    assert await store.replay(None, T0 + 13) == 0


async def test_concurrent_claims_never_share_a_delivery(make_store: StoreFactory) -> None:
    """Many claims at once, through several store objects, take each delivery exactly once."""
    stores = [make_store() for _ in range(3)]
    for i in range(60):
        await stores[0].record(f"k{i:02}", b"b", T0)

    async def take(store: events.Store, n: int) -> list[str]:
        got = []
        while (d := await store.claim(f"w{n}", T0 + 1, 30)) is not None:
            got.append(d.key)
        return got

    results = await asyncio.gather(*(take(stores[i % 3], i) for i in range(6)))
    keys = [k for r in results for k in r]
    assert sorted(keys) == [f"k{i:02}" for i in range(60)]


def test_backoff_doubles_up_to_its_cap() -> None:
    """backoff(n) = base * 2**(n-1), never above the cap."""
    assert [backoff(n, 1.0, 10.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert backoff(3, 0.0, 10.0) == 0


def test_unknown_states_are_refused() -> None:
    """A state name that is not one of STATES is a ValidationError."""
    assert check_states(["dead", "pending"]) == ["dead", "pending"]
    with pytest.raises(ValidationError):
        check_states(["gone"])


async def test_sqlite_writes_sharing_a_commit_fail_alone(tmp_path: Path) -> None:
    """Among concurrent SQLite writes (committed together) a failing one undoes only itself."""

    def bad(db: sqlite3.Connection) -> None:
        db.execute("UPDATE taskade_deliveries SET state = 'done'")  # undone with its savepoint
        raise sqlite3.IntegrityError("refused")

    async with events.SQLiteStore(tmp_path / "s.db") as store:
        results = await asyncio.gather(
            *(store.record(f"k{i}", b"b", T0) for i in range(5)),
            store._write(bad),
            *(store.record(f"k{i}", b"b", T0) for i in range(5, 10)),
            return_exceptions=True,
        )
        assert [type(r).__name__ for r in results] == ["bool"] * 5 + ["IntegrityError"] + [
            "bool"
        ] * 5
        assert all(r is True for r in results if isinstance(r, bool))
        pending = await store.list(["pending"], 100)
    assert sorted(d.key for d in pending) == [f"k{i}" for i in range(10)]
