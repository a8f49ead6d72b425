"""The inbox across real processes: a worker SIGKILLed mid-callback, workers sharing a store."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from taskade_async import events

ROOT = Path(__file__).resolve().parents[2]


def body(n: int) -> bytes:
    return json.dumps({"spaceId": "s", "projectId": f"p{n}", "projectName": "P"}).encode()


def _where(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    """(where, table) of a fresh shared store of this kind."""
    if kind == "sqlite":
        return str(tmp_path / "inbox.db"), ""
    return request.getfixturevalue("postgres_server"), f"t_{uuid.uuid4().hex[:12]}"


def _store(kind: str, where: str, table: str) -> events.SQLiteStore | events.PostgresStore:
    if kind == "sqlite":
        return events.SQLiteStore(where)
    return events.PostgresStore(where, table=table)


async def _worker(
    kind: str, where: str, table: str, mode: str, *extra: str
) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [kind, where, mode, *(["--table", table] if table else []), *extra]
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.events._worker", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_worker_killed_mid_callback_loses_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A worker process SIGKILLed inside the callback: once its lease ends another worker
    claims the delivery and handles it (its second try)."""
    where, table = _where(kind, tmp_path, request)
    store = _store(kind, where, table)
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def on_event(event: events.Event) -> None:
        handled.put_nowait(event.raw["projectId"])

    async with store:
        await store.record(events.delivery_key(body(1)), body(1), time.time())
        doomed = await _worker(kind, where, table, "hang", "--lease", "1")
        assert doomed.stdout is not None
        assert await asyncio.wait_for(doomed.stdout.readline(), 60) == b"started\n"
        doomed.send_signal(signal.SIGKILL)
        assert await doomed.wait() == -signal.SIGKILL
        killed_at = time.monotonic()
        inbox = events.Inbox(on_event, store=store, poll=0.05)
        await inbox.start()
        try:
            assert await asyncio.wait_for(handled.get(), 60) == "p1"
        finally:
            await inbox.stop()
        recovery = time.monotonic() - killed_at
        record = await store.get(events.delivery_key(body(1)))
    assert record is not None
    assert (record.state, record.attempts) == ("done", 2)
    assert handled.empty()
    print(f"{kind}: handled {recovery:.2f} s after the SIGKILL (lease 1 s)")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_two_worker_processes_handle_each_event_exactly_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two processes draining one store (an SQLite file, or a PostgreSQL table) between
    them handle each of 300 deliveries exactly once."""
    where, table = _where(kind, tmp_path, request)
    async with _store(kind, where, table) as store:
        for n in range(300):
            await store.record(events.delivery_key(body(n)), body(n), time.time())
        workers = [await _worker(kind, where, table, "drain", "--concurrency", "3") for _ in "ab"]
        for worker in workers:
            assert worker.stdout is not None
            assert await asyncio.wait_for(worker.stdout.readline(), 60) == b"ready\n"
        outputs = await asyncio.gather(*(w.communicate(b"go\n") for w in workers))
        assert [w.returncode for w in workers] == [0, 0]
        assert await store.list(["pending", "running", "dead"], 10) == []
    counts = Counter(line.split()[1] for out, _ in outputs for line in out.decode().splitlines())
    assert sorted(counts) == sorted(f"p{n}" for n in range(300))
    assert set(counts.values()) == {1}
    shares = [len(out.splitlines()) for out, _ in outputs]
    print(f"{kind}: the two workers handled {shares[0]} and {shares[1]}")
