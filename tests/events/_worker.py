"""A bot's inbox worker as its own process, for the kill and sharing tests (and the benchmark).

    python -m tests.events._worker sqlite|postgres WHERE hang|drain [--lease S] [--table T]

``hang``: the callback prints ``started`` and never returns (the test kills
the process). ``drain``: prints ``ready``, waits for a line on stdin, then
handles every due delivery (``--concurrency`` at a time), printing ``handled
<projectId>`` for each, and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from taskade_async import events


def _store(kind: str, where: str, table: str) -> events.SQLiteStore | events.PostgresStore:
    if kind == "sqlite":
        return events.SQLiteStore(where)
    return events.PostgresStore(where, table=table)


async def _main(args: argparse.Namespace) -> None:
    store = _store(args.kind, args.where, args.table)

    async def hang(event: events.Event) -> None:
        print("started", flush=True)
        await asyncio.Event().wait()

    async def handled(event: events.Event) -> None:
        print("handled", event.raw["projectId"], flush=True)
        await asyncio.sleep(0.001)

    callback = hang if args.mode == "hang" else handled
    inbox = events.Inbox(callback, store=store, lease=args.lease, concurrency=args.concurrency)
    async with store:
        if args.mode == "hang":
            await inbox.run()
        else:  # all workers start together: the test writes a line once every one is up
            await inbox.store.open()
            print("ready", flush=True)
            await asyncio.to_thread(sys.stdin.readline)
            await asyncio.gather(*(inbox.drain() for _ in range(args.concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["sqlite", "postgres"])
    parser.add_argument("where")
    parser.add_argument("mode", choices=["hang", "drain"])
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--table", default="taskade_deliveries")
    parser.add_argument("--concurrency", type=int, default=1)
    asyncio.run(_main(parser.parse_args()))
    sys.exit(0)


if __name__ == "__main__":
    main()
