"""Client cost against raw aiohttp + json, side by side in one run.

* CPU per simple GET (process CPU time of the client only: the server runs in
  its own process): raw aiohttp + ``json.loads`` vs ``tasks.get``.
* Streaming 100,000 tasks: raw aiohttp cursor loop yielding dicts vs
  ``projects.list_tasks`` yielding models; items/s and peak traced memory.

Rounds alternate raw and ours so that noise on a shared machine hits both;
medians and their ratio are printed. Run: ``nox -s bench`` or
``python benchmarks/bench_client.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
from _results import record

import taskade_async as tk
from taskade_async.api import projects, tasks

tk_json: Any  # the module, or None
try:
    tk_json = importlib.import_module("taskade_async._json")
except ImportError:  # an older tree (benchmarks/versions.py): the stdlib's json only
    tk_json = None

PROJECT = "p000000000000001"
TOKEN = "tskdp_benchmark"


class Server:
    """The canned server of ``_server.py`` in a child process."""

    def __init__(self, n_tasks: int, latency: float = 0.0) -> None:
        self._proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("_server.py")),
                "--tasks",
                str(n_tasks),
                "--latency",
                str(latency),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        port = int(self._proc.stdout.readline())
        self.base = f"http://127.0.0.1:{port}/api/v1"

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=10)


async def _gets_raw(base: str, n: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http:

        async def one(i: int) -> None:
            async with http.get(f"{base}/projects/{PROJECT}/tasks/t{i:015d}", headers=headers) as r:
                body = json.loads(await r.read())
                if r.status != 200 or not body["ok"]:
                    raise RuntimeError(body)

        await _bounded(one, n, concurrency)


async def _gets_ours(base: str, n: int, concurrency: int) -> None:
    async with tk.Session(TOKEN, base_url=base) as s:

        async def one(i: int) -> None:
            await tasks.get(s, PROJECT, f"t{i:015d}")

        await _bounded(one, n, concurrency)


async def _bounded(fn: Callable[[int], Awaitable[None]], n: int, concurrency: int) -> None:
    it = iter(range(n))

    async def worker() -> None:
        for i in it:
            await fn(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _stream_raw(base: str) -> AsyncIterator[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http:
        after = None
        while True:
            params = {"limit": "1000"}
            if after:
                params["after"] = after
            async with http.get(
                f"{base}/projects/{PROJECT}/tasks", params=params, headers=headers
            ) as r:
                items = json.loads(await r.read())["items"]
            for item in items:
                yield item
            if len(items) < 1000:
                return
            after = items[-1]["id"]


async def _count_raw(base: str) -> int:
    """What a user of raw aiohttp writes: a loop over the dicts of each page."""
    n = 0
    async for _ in _stream_raw(base):
        n += 1
    return n


async def _count_ours(base: str) -> int:
    """What a user of taskade_async writes: a loop over the pager's models."""
    n = 0
    async with tk.Session(TOKEN, base_url=base) as s:
        async for _ in projects.list_tasks(s, PROJECT, limit=1000):
            n += 1
    return n


def _cpu(coro_fn: Callable[[], Awaitable[None]]) -> float:
    start = time.process_time()
    asyncio.run(coro_fn())  # type: ignore[arg-type]
    return time.process_time() - start


def _wall_items(count: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    start = time.perf_counter()
    n: int = asyncio.run(count())  # type: ignore[arg-type]  # a coroutine function, typed as Awaitable
    return time.perf_counter() - start, n


def _rate(count: Callable[[], Awaitable[int]], expected: int) -> float:
    """Items per second of one streaming run (checking that it saw every item)."""
    t, n = _wall_items(count)
    assert n == expected, n
    return n / t


@contextlib.contextmanager
def _stdlib_json() -> Iterator[None]:
    """Decode answers with the stdlib's json meanwhile, as without the speedups extra."""
    if tk_json is None:
        yield
        return
    fast, tk_json.loads = tk_json.loads, json.loads
    try:
        yield
    finally:
        tk_json.loads = fast


def _peak(count: Callable[[], Awaitable[int]]) -> int:
    tracemalloc.start()
    asyncio.run(count())  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=100_000)
    args = parser.parse_args()

    server = Server(args.tasks)
    try:
        base = server.base
        raw_cpu: list[float] = []
        our_cpu: list[float] = []
        for _ in range(args.rounds):
            raw_cpu.append(_cpu(lambda: _gets_raw(base, args.gets, args.concurrency)))
            our_cpu.append(_cpu(lambda: _gets_ours(base, args.gets, args.concurrency)))
        raw_us = statistics.median(raw_cpu) / args.gets * 1e6
        our_us = statistics.median(our_cpu) / args.gets * 1e6
        print(
            f"GET, client CPU per call (median of {args.rounds} x {args.gets}, "
            f"concurrency {args.concurrency}):"
        )
        print(f"  raw aiohttp+json  {raw_us:8.1f} us")
        print(
            f"  taskade_async     {our_us:8.1f} us   ratio {our_us / raw_us:.3f}  (target <= 1.15)"
        )

        # Ours twice: with the default decoder (orjson, when the speedups extra is there)
        # and with the stdlib's json, as a plain install decodes.
        raw_rate: list[float] = []
        our_rate: list[float] = []
        std_rate: list[float] = []
        for _ in range(max(3, args.rounds // 2)):
            raw_rate.append(_rate(lambda: _count_raw(base), args.tasks))
            our_rate.append(_rate(lambda: _count_ours(base), args.tasks))
            with _stdlib_json():
                std_rate.append(_rate(lambda: _count_ours(base), args.tasks))
        decoder = "json" if tk_json is None else tk_json.DECODER
        raw_r = statistics.median(raw_rate)
        our_r = statistics.median(our_rate)
        std_r = statistics.median(std_rate)
        print(f"Streaming {args.tasks} tasks, items/s (median of {len(raw_rate)}):")
        print(f"  raw aiohttp dicts {raw_r:10.0f}")
        print(
            f"  taskade_async     {our_r:10.0f}   ratio {our_r / raw_r:.3f}  "
            f"(decoder: {decoder}; issue 9: >= 0.85, DESIGN: >= 1.0)"
        )
        print(f"    with stdlib json {std_r:9.0f}   ratio {std_r / raw_r:.3f}  (no speedups extra)")
        raw_peak = _peak(lambda: _count_raw(base))
        our_peak = _peak(lambda: _count_ours(base))
        with _stdlib_json():
            std_peak = _peak(lambda: _count_ours(base))
        record(
            "W1",
            title="client CPU per GET",
            ours=our_us,
            raw=raw_us,
            unit="us",
            better="lower",
            target=0.8,
            detail=f"median of {args.rounds} x {args.gets} GETs, concurrency {args.concurrency}",
        )
        for key, ours, how in (
            ("W3", our_r, f"models ({decoder})"),
            ("W3j", std_r, "models decoded by the stdlib's json (no speedups extra)"),
        ):
            record(
                key,
                title=f"streaming {args.tasks:,} tasks" + (", stdlib json" if key == "W3j" else ""),
                ours=ours,
                raw=raw_r,
                unit="items/s",
                better="higher",
                target=1.0,
                detail=f"{how} vs raw dicts, median of {len(raw_rate)}, same run",
            )
        print("Streaming, peak traced memory:")
        print(f"  raw aiohttp dicts {raw_peak / 1e6:8.2f} MB")
        print(f"  taskade_async     {our_peak / 1e6:8.2f} MB   ratio {our_peak / raw_peak:.2f}")
        print(f"    with stdlib json {std_peak / 1e6:7.2f} MB   ratio {std_peak / raw_peak:.2f}")
        print("  (orjson's parse holds a transient buffer of about 15x the page's bytes)")
    finally:
        server.close()


if __name__ == "__main__":
    main()
