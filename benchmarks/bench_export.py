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
rounds.) Prints medians and the ratio.
Run: ``python benchmarks/bench_export.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import subprocess
import sys
import tempfile
import time

import taskade_async as tk
from taskade_async.export import export
from taskade_async.export._discover import discover
from taskade_async.export._records import Record
from taskade_async.export._units import Selection

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


async def _discovery_requests(base_url: str) -> int:
    async def drop(records: list[Record]) -> None:
        pass

    async with tk.Session(TOKEN, base_url=base_url) as s:
        await discover(s, Selection(), drop, lambda _error: None)
        return s.stats["requests"]


async def _run(base_url: str, concurrency: int) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as out:
        async with tk.Session(TOKEN, base_url=base_url, max_connections=concurrency) as s:
            start = time.perf_counter()
            manifest = await export(s, out, concurrency=concurrency)
            elapsed = time.perf_counter() - start
            return elapsed, s.stats["requests"], sum(manifest.counts.values())


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
        times: list[float] = []
        requests = records = 0
        for _ in range(args.rounds):
            elapsed, requests, records = asyncio.run(_run(base_url, args.concurrency))
            times.append(elapsed)
        discovery = asyncio.run(_discovery_requests(base_url))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rounds = DISCOVERY_DEPTH + max(UNIT_DEPTH, math.ceil((requests - discovery) / args.concurrency))
    ideal = rounds * args.latency
    median = statistics.median(times)
    print(
        f"Export of {args.projects} projects x {args.tasks} tasks, latency "
        f"{args.latency * 1000:.0f} ms, concurrency {args.concurrency} "
        f"(median of {args.rounds}):"
    )
    print(f"  records {records}, requests {requests} (discovery {discovery})")
    print(f"  ideal critical path {ideal:6.2f} s   ({rounds} round trips)")
    print(f"  taskade_async       {median:6.2f} s   ratio {median / ideal:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
