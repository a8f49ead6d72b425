"""Goodput at the server's rate limit: the session must settle at the rate it is allowed.

FakeTaskade runs in its own process (``serve --demo --rate-limit R --burst B``:
a token bucket per token, 429 with ``Retry-After`` in whole seconds, or with
none). Two workloads, each in four configurations:

- 1,500 concurrent ``tasks.get`` calls, server at 150 requests/s (burst 20);
- a full export of the demo data (about 300 requests), server at 25/s (burst 5);

so that each run lasts 10 s or more at the limit and the steady state decides.

Configurations: no client limit; ``rate_limit`` at 0.8x the server's; at 1.5x;
and no client limit against 429s without ``Retry-After``. Each run gets a new
server (a full bucket). Printed per run: goodput (answered requests per
second) as a fraction of what is allowed (the server's limit, or the client's
ceiling where lower), the share of requests answered 429, and the wall time
against the ideal (answered requests / allowed rate). Targets: goodput >= 0.85,
429 share <= 5%. Run: ``python benchmarks/bench_ratelimit.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from typing import Final, NamedTuple

from _results import record

import taskade_async as tk
from taskade_async.api import projects, tasks, workspaces
from taskade_async.export import export

TOKEN: Final = "tskdp_benchmark_ratelimit"


class Config(NamedTuple):
    name: str
    client_factor: float | None  # rate_limit as a multiple of the server's
    retry_after: bool


CONFIGS: Final = (
    Config("no client limit", None, True),
    Config("client at 0.8x", 0.8, True),
    Config("client at 1.5x", 1.5, True),
    Config("no Retry-After", None, False),
)


class Result(NamedTuple):
    answered: int  # requests answered other than 429
    refused: int  # requests answered 429
    failed: int  # calls that raised
    wall: float


def _serve(rate: float, burst: int, retry_after: bool) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "taskade_async.testing", "serve", "--demo"]
    command += ["--token", TOKEN, "--rate-limit", str(rate), "--burst", str(burst)]
    if not retry_after:
        command.append("--no-retry-after")
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("TASKADE_BASE_URL="):
            return proc, line.split("=", 1)[1].strip()
    raise RuntimeError("the fake server did not print its URL")


async def _a_task(base_url: str) -> tuple[str, str]:
    """A (project id, task id) of the demo data; a handful of requests."""
    async with tk.Session(TOKEN, base_url=base_url) as s:
        async for space in workspaces.list(s):
            async for project in workspaces.list_projects(s, space.id):
                async for task in projects.list_tasks(s, project.id, limit=1):
                    return project.id, task.id
    raise RuntimeError("the demo data has no task")


async def _gets(s: tk.Session, ids: tuple[str, str], calls: int) -> int:
    results = await asyncio.gather(
        *(tasks.get(s, *ids) for _ in range(calls)), return_exceptions=True
    )
    return sum(isinstance(r, BaseException) for r in results)


async def _export(s: tk.Session) -> int:
    with tempfile.TemporaryDirectory() as out:
        manifest = await export(s, out)
    return len(manifest.errors)


async def _run(workload: str, base_url: str, rate: float | None, burst: int, cap: float) -> Result:
    ids = ("", "")
    if workload == "gets":
        ids = await _a_task(base_url)  # a few requests, before the timing...
        await asyncio.sleep(1.0)  # ...whose tokens the bucket gets back
    async with tk.Session(TOKEN, base_url=base_url, rate_limit=rate, rate_burst=burst) as s:
        start = time.perf_counter()
        try:
            async with asyncio.timeout(cap):
                failed = await (_gets(s, ids, 1500) if workload == "gets" else _export(s))
        except TimeoutError:
            failed = -1
        wall = time.perf_counter() - start
        refused = s.stats.rate_limited
        return Result(s.stats.requests - refused, refused, failed, wall)


WORKLOADS: Final = {
    # workload: (server rate, server burst, label)
    "gets": (150.0, 20, "1,500 concurrent tasks.get"),
    "export": (25.0, 5, "demo export"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=120.0, help="seconds allowed per run")
    parser.add_argument("--only", choices=sorted(WORKLOADS), default=None)
    args = parser.parse_args()
    print(
        f"{'workload':28} {'configuration':16} {'allowed':>8} {'goodput':>8} "
        f"{'429 share':>9} {'wall s':>7} {'ideal s':>7} {'ratio':>6} {'failed':>6}"
    )
    runs: list[tuple[float, float, float, str]] = []  # goodput/s, allowed, 429 share, what
    for workload, (rate, burst, label) in WORKLOADS.items():
        if args.only and workload != args.only:
            continue
        for config in CONFIGS:
            proc, base_url = _serve(rate, burst, config.retry_after)
            try:
                client = None if config.client_factor is None else rate * config.client_factor
                r = asyncio.run(_run(workload, base_url, client, burst, args.cap))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            allowed = rate if client is None else min(rate, client)
            ideal = r.answered / allowed
            goodput = r.answered / r.wall / allowed
            share = r.refused / max(1, r.answered + r.refused)
            failed = "cap" if r.failed < 0 else str(r.failed)
            print(
                f"{label:28} {config.name:16} {allowed:6.0f}/s {goodput:8.3f} "
                f"{share:9.1%} {r.wall:7.1f} {ideal:7.1f} {r.wall / ideal:6.2f} {failed:>6}",
                flush=True,
            )
            runs.append((r.answered / r.wall, allowed, share, f"{label}, {config.name}"))
    if args.only is None:  # a partial run is not the W2 figure
        _record(runs)
    print("targets: goodput >= 0.850 of allowed, 429 share <= 5.0%, in every configuration")


def _record(runs: list[tuple[float, float, float, str]]) -> None:
    """W2: the worst run's goodput against its allowed rate, and the worst 429 share."""
    if not runs:
        return
    goodput, allowed, _, what = min(runs, key=lambda run: run[0] / run[1])
    share, worst_share = max((run[2], run[3]) for run in runs)
    record(
        "W2",
        title="goodput at the server's rate limit (worst configuration)",
        ours=goodput,
        raw=allowed,
        unit="req/s",
        better="higher",
        target=0.85,
        detail=(
            f"worst of {len(runs)} runs: {what} (raw = the allowed rate); "
            f"429 share at most {share:.1%} ({worst_share}; target <= 5%)"
        ),
    )


if __name__ == "__main__":
    main()
