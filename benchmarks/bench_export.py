"""Export wall time against the ideal critical path (target: within 1.15x).

FakeTaskade runs in its own process with ``--latency`` seconds added to every
answer (20 ms by default) and 200 projects x 500 tasks. The ideal time for a
concurrency cap C and latency L is ``(D + max(U, ceil(R_u / C))) * L``:

- D: discovery's chain (workspaces -> a workspace's folders -> a folder's
  projects; the unfiled-project pages run beside it). It carries only a few
  requests per round trip, so it cannot fill C slots; and the units can only
  start once it is done, because the plan (which unit a project belongs to,
  in which order) is checkpointed before any unit runs, for resume;
- U: a unit's own chain (a project and its lists go out together, and 500
  tasks fit in one 1000-task page: one round trip);
- R_u: the requests the units made (all requests minus discovery's, counted
  by running discovery alone); no client sends more than C per L.

(The earlier ``max(5, ceil(R / C))`` counted discovery's requests as if they
filled slots and ignored that its rounds precede the units: too low by D - 1
rounds.)

The ideal assumes the server answers every request in exactly L. The fake
serves requests one at a time after their latency, so C requests that wake
together queue behind each other's CPU. To show what that costs, the same
URLs (recorded from one untimed export) are replayed side by side with
hand-written aiohttp + json, C workers on one queue, no files: the floor this
server allows. Prints medians, the ratio to the ideal and to the replay.
Run: ``python benchmarks/bench_export.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Final

import aiohttp
from _results import record
from yarl import URL

import taskade_async as tk
from taskade_async.export import export

TOKEN = "tskdp_benchmark_export"
#: Discovery's round trips: workspaces, a workspace's folders, a folder's projects.
DISCOVERY_DEPTH = 3
#: A unit's round trips: a project with its lists (tasks fit in one page).
UNIT_DEPTH = 1


def _serve(projects: int, tasks: int, latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "taskade_async.testing",
            "serve",
            "--token",
            TOKEN,
            "--projects",
            str(projects),
            "--tasks-per-project",
            str(tasks),
            "--latency",
            str(latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("TASKADE_BASE_URL="):
            return proc, line.split("=", 1)[1].strip()
    raise RuntimeError("the fake server did not print its URL")


#: Discovery's requests, by round trip (the unfiled-project pages go in the first).
_DISCOVERY_LEVELS: Final = (
    re.compile(r"/workspaces$|/me/projects$"),
    re.compile(r"/workspaces/[^/]+/folders$"),
    re.compile(r"/folders/[^/]+/projects$"),
)


async def _record(base_url: str, concurrency: int) -> tuple[list[list[URL]], list[URL]]:
    """The URLs an (untimed) export requests: discovery's by round trip, then the units'."""
    seen: list[URL] = []

    async def on_start(
        _http: aiohttp.ClientSession, _ctx: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        seen.append(params.url)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as http:
        with tempfile.TemporaryDirectory() as out:
            async with tk.Session(TOKEN, base_url=base_url, http=http) as s:
                await export(s, out, concurrency=concurrency)
    levels: list[list[URL]] = [[] for _ in _DISCOVERY_LEVELS]
    units: list[URL] = []
    for url in seen:
        level = next((i for i, p in enumerate(_DISCOVERY_LEVELS) if p.search(url.path)), None)
        (units if level is None else levels[level]).append(url)
    return levels, units


async def _raw(levels: list[list[URL]], units: list[URL], concurrency: int) -> float:
    """The same requests with hand-written aiohttp + json: the floor this server allows.

    Discovery's rounds one after another (each all at once), then every unit
    request from one queue by ``concurrency`` workers; bodies are only decoded.
    """
    headers = {"Authorization": f"Bearer {TOKEN}"}
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def get(url: URL) -> None:
            async with http.get(url) as response:
                if response.status != 200:
                    raise RuntimeError(f"GET {url}: {response.status}")
                json.loads(await response.read())

        queue = iter(units)

        async def worker() -> None:
            for url in queue:
                await get(url)

        start = time.perf_counter()
        for level in levels:
            await asyncio.gather(*map(get, level))
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start


async def _run(base_url: str, concurrency: int) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as out:
        async with tk.Session(TOKEN, base_url=base_url, max_connections=concurrency) as s:
            start = time.perf_counter()
            manifest = await export(s, out, concurrency=concurrency)
            elapsed = time.perf_counter() - start
            return elapsed, s.stats.requests, sum(manifest.counts.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    proc, base_url = _serve(args.projects, args.tasks, args.latency)
    try:
        levels, unit_urls = asyncio.run(_record(base_url, args.concurrency))
        times: list[float] = []
        raw_times: list[float] = []
        requests = records = 0
        for _ in range(args.rounds):  # alternating, so that noise hits both
            raw_times.append(asyncio.run(_raw(levels, unit_urls, args.concurrency)))
            elapsed, requests, records = asyncio.run(_run(base_url, args.concurrency))
            times.append(elapsed)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    discovery = sum(map(len, levels))
    units = requests - discovery
    rounds = DISCOVERY_DEPTH + max(UNIT_DEPTH, math.ceil(units / args.concurrency))
    ideal = rounds * args.latency
    median, raw = statistics.median(times), statistics.median(raw_times)
    print(
        f"Export of {args.projects} projects x {args.tasks} tasks, latency "
        f"{args.latency * 1000:.0f} ms, concurrency {args.concurrency} "
        f"(median of {args.rounds}):"
    )
    print(f"  records {records}, requests {requests} (discovery {discovery})")
    print(f"  ideal critical path {ideal:6.2f} s   ({rounds} round trips)")
    print(
        f"  raw aiohttp replay  {raw:6.2f} s   ratio {raw / ideal:.3f}  "
        "(same requests, no files: the server's own floor)"
    )
    print(
        f"  taskade_async       {median:6.2f} s   ratio {median / ideal:.3f}  (target <= 1.15)"
        f"; {median / raw:.3f}x the replay"
    )
    record(
        "W4",
        title="export vs raw replay",
        ours=median,
        raw=raw,
        unit="s",
        better="lower",
        target=1.02,
        detail=f"{args.projects} projects x {args.tasks} tasks, {args.latency * 1000:.0f} ms "
        f"latency, concurrency {args.concurrency}, median of {args.rounds}",
    )


if __name__ == "__main__":
    main()
