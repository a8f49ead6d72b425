"""Export wall time against the ideal critical path (target: within 1.15x).

FakeTaskade runs in its own process with ``--latency`` seconds added to every
answer (20 ms by default) and 200 projects x 500 tasks. The ideal time for a
given concurrency cap C, latency L and the requests the export made (R) is
``max(depth * L, ceil(R / C) * L)``: no client can beat the chain of dependent
requests (workspaces -> folders -> projects -> project lists -> task pages),
nor send more than C requests per L. Prints medians and the ratio.
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

TOKEN = "tskdp_benchmark_export"
#: workspaces, folders, a folder's projects, a project's lists, its task page.
CHAIN_DEPTH = 5


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
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ideal = max(CHAIN_DEPTH, math.ceil(requests / args.concurrency)) * args.latency
    median = statistics.median(times)
    print(
        f"Export of {args.projects} projects x {args.tasks} tasks, latency "
        f"{args.latency * 1000:.0f} ms, concurrency {args.concurrency} "
        f"(median of {args.rounds}):"
    )
    print(f"  records {records}, requests {requests}")
    print(f"  ideal critical path {ideal:6.2f} s")
    print(f"  taskade_async       {median:6.2f} s   ratio {median / ideal:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()
