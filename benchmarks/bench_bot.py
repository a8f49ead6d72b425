"""A bot's figures: event latency, deliveries/s per store, the inbox's latency and recovery.

1. From the API call that causes an event to a bot's callback: FakeTaskade
   delivers ``task.assigned`` (signed) to ``events.handler``; the callback
   only records the time, or does what examples/bot.py does (asks an agent,
   writes the note). Medians and p90/p99.
2. Deliveries/s through the handler with each store: 5,000 signed deliveries,
   1% repeats and 1% forgeries, 16 senders at once on loopback; directly
   (callback in the request) and in inbox mode (202 at once, 8 workers; the
   figure counts until the workers have handled the last one). Each valid event is checked to
   have been handled exactly once.
3. Inbox mode: from recording a delivery to its callback starting, the
   worker idle: recorded in this process (the in-process wake-up), or through
   another store object, as another process would (found by the 0.5 s poll).
4. Recovery: a worker process is SIGKILLed inside the callback; how long until
   another worker starts that delivery (lease 2 s, poll 0.5 s).

Everything is on loopback, so the figures are the library's own overhead.
PostgreSQL is a throwaway server started here (skipped without its binaries).

    PYTHONPATH=. python3 benchmarks/bench_bot.py [--rounds 200] [--deliveries 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp
from aiohttp import web

import taskade_async as tk
from taskade_async import events
from taskade_async.api import agents, tasks, webhooks
from taskade_async.testing import FakeTaskade
from tests.events._postgres import Unavailable, running_postgres

ROOT = Path(__file__).resolve().parents[1]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(rounds: int, full_turn: bool) -> list[float]:
    async with FakeTaskade() as fake, tk.Session(fake.token, base_url=fake.base_url) as s:
        space = fake.add_workspace("Team")
        fake.add_member(space, "bob")
        fake.add_member(space, "eve")
        project = fake.add_project(space, "Launch")
        task = fake.add_task(project, "Write the press release")
        agent = fake.add_agent(space, "Helper")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        created = await webhooks.create(
            s, target_url=f"http://127.0.0.1:{port}/taskade", events=["task.assigned"]
        )
        arrived: asyncio.Queue[float] = asyncio.Queue()

        async def on_event(event: events.Event) -> None:
            if full_turn and isinstance(event, events.TaskAssigned):
                node = event.nodes[0]
                answer = await agents.prompt(
                    s, space.id, agent.id, prompt=f"How should I start: {node.node_text}?"
                )
                await tasks.set_note(s, project.id, task.id, type="text/markdown", value=answer)
            arrived.put_nowait(time.perf_counter())

        app = web.Application()
        app.router.add_post("/taskade", events.handler(on_event, secret=created.secret))
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            times: list[float] = []
            for i in range(rounds):
                # A task of its own each round: identical payloads would be one delivery.
                task = fake.add_task(project, f"Write the press release, part {i}")
                started = time.perf_counter()
                await tasks.set_assignees(s, project.id, task.id, handles=["bob"])
                done = await asyncio.wait_for(arrived.get(), timeout=10)
                times.append((done - started) * 1000)
            await fake.deliveries_idle()
            return times
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=5000)
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C: the PostgreSQL server started below is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for full_turn, what in ((False, "API call -> callback"), (True, "API call -> note written")):
        times = asyncio.run(_measure(args.rounds, full_turn))
        print(
            f"{what:26} median {statistics.median(times):6.2f} ms  "
            f"p90 {_quantile(times, 0.9):6.2f} ms  p99 {_quantile(times, 0.99):6.2f} ms  "
            f"({args.rounds} rounds)"
        )
    with contextlib.ExitStack() as stack:
        try:
            dsn: str | None = stack.enter_context(running_postgres())
        except Unavailable as exc:
            print(f"PostgreSQL not measured: {exc}")
            dsn = None
        with tempfile.TemporaryDirectory() as tmp:
            _throughput(Path(tmp), dsn, args.deliveries)
            _latency(Path(tmp), dsn, min(args.rounds, 100))
            _recovery(Path(tmp), dsn)


# -- deliveries/s through the handler, per store ---------------------------------------

SECRET = "whsec-bench"


def _stores(tmp: Path, dsn: str | None) -> dict[str, Callable[[], events.Store]]:
    """Store name -> a factory of a fresh, empty store of that kind."""
    n = iter(range(1_000_000))
    made: dict[str, Callable[[], events.Store]] = {
        "memory": events.MemoryStore,
        "sqlite FULL": lambda: events.SQLiteStore(tmp / f"{next(n)}.db"),
        "sqlite NORMAL": lambda: events.SQLiteStore(tmp / f"{next(n)}.db", synchronous="NORMAL"),
    }
    if dsn is not None:
        made["postgres"] = lambda: events.PostgresStore(dsn, table=f"bench_{next(n)}")
    return made


def _deliveries(n: int) -> list[tuple[bytes, str, bool]]:
    """(body, signature, genuine): 1% repeats of earlier deliveries, 1% forgeries."""
    rng = random.Random(1)
    out: list[tuple[bytes, str, bool]] = []
    for i in range(n):
        if i and i % 100 == 50:
            out.append(out[rng.randrange(len(out))])
            continue
        raw = json.dumps({"spaceId": "s", "projectId": f"p{i}", "projectName": "Bench"}).encode()
        forged = i % 100 == 99
        out.append((raw, events.sign("forged" if forged else SECRET, raw), not forged))
    return out


async def _pump(store: events.Store, inbox: bool, posts: list[tuple[bytes, str, bool]]) -> float:
    """Post every delivery (16 at a time); seconds until each valid one was handled once."""
    expected = {json.loads(b)["projectId"] for b, _, ok in posts if ok}
    counts: Counter[str] = Counter()
    done = asyncio.Event()

    async def on_event(event: events.Event) -> None:
        counts[event.raw["projectId"]] += 1
        if len(counts) == len(expected):
            done.set()

    await store.open()
    workers = events.Inbox(on_event, store=store, concurrency=8) if inbox else False
    handler = events.handler(on_event, secret=SECRET, store=store, inbox=workers)
    app = web.Application()
    app.router.add_post("/taskade", handler)
    if handler.inbox is not None:
        app.cleanup_ctx.append(handler.inbox.serve)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    queue = list(reversed(posts))
    try:
        async with aiohttp.ClientSession() as http:

            async def sender() -> None:
                while queue:
                    raw, signature, _ = queue.pop()
                    headers = {events.SIGNATURE_HEADER: signature}
                    url = f"http://127.0.0.1:{port}/taskade"
                    async with http.post(url, data=raw, headers=headers) as resp:
                        await resp.read()

            started = time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(16)))
            await asyncio.wait_for(done.wait(), 300)
            elapsed = time.perf_counter() - started
    finally:
        await runner.cleanup()
        await store.close()
    if set(counts) != expected or set(counts.values()) != {1}:
        raise SystemExit("a valid delivery was not handled exactly once")
    return elapsed


def _throughput(tmp: Path, dsn: str | None, n: int) -> None:
    posts = _deliveries(n)
    print(f"\ndeliveries/s through events.handler ({n} posts, 1% repeats, 1% forgeries)")
    print(f"{'store':15} {'direct':>10} {'inbox':>10}   (median of 3)")
    for name, make in _stores(tmp, dsn).items():
        rates = []
        for inbox in (False, True):
            runs = [n / asyncio.run(_pump(make(), inbox, posts)) for _ in range(3)]
            rates.append(statistics.median(runs))
        print(f"{name:15} {rates[0]:10.0f} {rates[1]:10.0f}")


# -- inbox: delivery -> callback start ---------------------------------------------------


async def _inbox_latency(make: Callable[[], events.Store], rounds: int, same: bool) -> list[float]:
    """ms from posting (or, with ``same`` False, recording elsewhere) to the callback's start."""
    started: asyncio.Queue[float] = asyncio.Queue()

    async def on_event(event: events.Event) -> None:
        started.put_nowait(time.perf_counter())

    store, other = make(), make()
    inbox = events.Inbox(on_event, store=store)
    await inbox.start()
    times = []
    try:
        for i in range(rounds):
            await asyncio.sleep(0.1)  # the worker idle, as it is between events
            project = f"p{i}-{same}"  # never a repeat of the other run's deliveries
            raw = json.dumps({"spaceId": "s", "projectId": project, "projectName": "L"}).encode()
            sent = time.perf_counter()
            if same:
                await store.record(events.delivery_key(raw), raw, time.time())
                inbox.wake()
            else:
                await other.record(events.delivery_key(raw), raw, time.time())
            times.append((await asyncio.wait_for(started.get(), 30) - sent) * 1000)
    finally:
        await inbox.stop()
        await store.close()
        await other.close()
    return times


def _latency(tmp: Path, dsn: str | None, rounds: int) -> None:
    print(f"\ninbox: recorded -> callback start, ms ({rounds} rounds)")
    print(f"{'store':15} {'this process':>22} {'another process (poll)':>26}")
    for name, make in _stores(tmp, dsn).items():
        if name == "memory":
            here = asyncio.run(_inbox_latency(make, rounds, True))
            print(f"{name:15} {_spread(here):>22} {'-':>26}")
            continue
        shared = _shared(make)
        here = asyncio.run(_inbox_latency(shared, rounds, True))
        there = asyncio.run(_inbox_latency(shared, max(10, rounds // 10), False))
        print(f"{name:15} {_spread(here):>22} {_spread(there):>26}")


def _shared(make: Callable[[], events.Store]) -> Callable[[], events.Store]:
    """A factory whose stores all open the same place (one file, one table)."""
    first = make()
    if isinstance(first, events.SQLiteStore):
        return lambda: events.SQLiteStore(first.path)
    assert isinstance(first, events.PostgresStore)
    dsn, table = first._dsn, first.table
    return lambda: events.PostgresStore(dsn, table=table)


def _spread(ms: list[float]) -> str:
    return f"{statistics.median(ms):7.2f} (p90 {_quantile(ms, 0.9):6.2f})"


# -- recovery after a SIGKILL ------------------------------------------------------------


async def _recover(kind: str, where: str, table: str, lease: float) -> float:
    """Seconds from a worker's SIGKILL (mid-callback) to another worker's callback start."""
    store = (
        events.SQLiteStore(where) if kind == "sqlite" else events.PostgresStore(where, table=table)
    )
    raw = json.dumps({"spaceId": "s", "projectId": "p", "projectName": "K"}).encode()
    started = asyncio.Event()

    async def on_event(event: events.Event) -> None:
        started.set()

    async with store:
        await store.record(events.delivery_key(raw), raw, time.time())
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        extra = ["--table", table] if table else []
        doomed = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.events._worker", kind, where, "hang",
            "--lease", str(lease), *extra, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
        )  # fmt: skip
        assert doomed.stdout is not None
        if await asyncio.wait_for(doomed.stdout.readline(), 60) != b"started\n":
            raise SystemExit("the worker did not start the callback")
        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
        killed = time.perf_counter()
        inbox = events.Inbox(on_event, store=store, lease=lease)
        await inbox.start()
        try:
            await asyncio.wait_for(started.wait(), 60)
            return time.perf_counter() - killed
        finally:
            await inbox.stop()


def _recovery(tmp: Path, dsn: str | None) -> None:
    lease = 2.0
    print(f"\nrecovery after SIGKILL mid-callback (lease {lease:g} s, poll 0.5 s), 5 rounds")
    kinds = [("sqlite", "")] + ([("postgres", dsn)] if dsn else [])
    for kind, where in kinds:
        times = []
        for i in range(5):
            place = str(tmp / f"kill{i}.db") if kind == "sqlite" else where
            times.append(asyncio.run(_recover(kind, place, f"kill_{i}" if dsn else "", lease)))
        print(
            f"{kind:15} median {statistics.median(times):5.2f} s  "
            f"min {min(times):5.2f} s  max {max(times):5.2f} s"
        )


if __name__ == "__main__":
    main()
