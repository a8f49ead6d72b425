"""Restore: request economy and goodput at a rate limit, and speed without one.

1. The demo's 3 largest projects (exported with details) restored into a
   FakeTaskade limited to 50 requests/s (its own thread and event loop, demo
   members, so assignees are restored). Printed: requests per operation
   against the minimum (ceil(tasks/20) taskCreate calls per level-batched
   tree, one write per detail, a few reads per project), goodput (answered
   requests per second) against the limit (target >= 0.85), 429s, wall time.
2. A 10,000-task project (no details) restored by the command
   (``taskade-async restore``, a child process) into an unlimited fake:
   tasks/s and the command's peak RSS.

Run: ``python benchmarks/bench_restore.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from _results import record

import taskade_async as tk
from taskade_async.export import export, restore
from taskade_async.export._restore_plan import plan_restore, read_projects
from taskade_async.testing import FakeTaskade

LIMIT: Final = 50.0
#: Runs the command and prints its own peak RSS (VmHWM: this process's, not the
#: fork's, which would count the benchmark's pages too) on stderr at exit.
_PEAK: Final = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    with open('/proc/self/status') as status:\n"
    "        print(*[l for l in status if l.startswith('VmHWM')], file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "sys.argv[0] = 'taskade-async'\n"
    "runpy.run_module('taskade_async', run_name='__main__', alter_sys=True)\n"
)
ROOT: Final = Path(__file__).resolve().parent.parent


@contextmanager
def fake_in_thread(**setup: Any) -> Iterator[tuple[FakeTaskade, asyncio.AbstractEventLoop]]:
    """A FakeTaskade served from its own thread and event loop (not the client's CPU)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, FakeTaskade] = {}

    async def main() -> None:
        fake = FakeTaskade(record=True)
        await fake.start()
        holder["fake"] = fake
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(main(), loop).result()
    ready.wait()
    try:
        yield holder["fake"], loop
    finally:
        asyncio.run_coroutine_threadsafe(holder["fake"].close(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()


def call(loop: asyncio.AbstractEventLoop, fn: Any, *args: Any) -> Any:
    """Run ``fn(*args)`` on the fake's loop (its state belongs to that thread)."""

    async def run() -> Any:
        return fn(*args)

    return asyncio.run_coroutine_threadsafe(run(), loop).result()


async def _export(fake: FakeTaskade, out: Path, **options: Any) -> None:
    async with tk.Session(fake.token, base_url=fake.base_url) as session:
        manifest = await export(session, out, **options)
    assert manifest.ok, manifest.errors


def _largest(out: Path, count: int) -> list[str]:
    sources = read_projects(out)
    sources.sort(key=lambda p: -len(p.tasks))
    return [p.id for p in sources[:count]]


async def limited(tmp: Path) -> None:
    """Part 1: the 3 largest demo projects into a fake at 50 requests/s."""
    out = tmp / "demo"
    with fake_in_thread() as (source, sloop):
        call(sloop, source.load_demo)
        await _export(source, out, details=True)
    picked = _largest(out, 3)
    plan = plan_restore(read_projects(out, frozenset(picked)))
    with fake_in_thread() as (target, tloop):
        call(tloop, target.load_demo)  # the same people: assignees are members
        folder = call(tloop, lambda: target.folders(target.workspaces[0])[0].id)
        call(tloop, target.set_rate_limit, LIMIT)
        async with tk.Session(target.token, base_url=target.base_url) as session:
            started = time.perf_counter()
            report = await restore(session, out, folder_id=folder, projects=picked)
            wall = time.perf_counter() - started
            stats = session.stats
        sent = call(tloop, lambda: [r.operation_id for r in target.requests])
    assert report.ok, (report.errors, report.mismatches)
    per_op = Counter(sent)
    refused = stats.rate_limited
    answered = stats.requests - refused
    goodput = answered / wall
    print(f"restore of the demo's 3 largest projects ({plan.tasks} tasks), limit {LIMIT:g}/s")
    print(f"  {'operation':<20} {'sent':>6} {'minimum':>8}")
    for op, minimum in plan.requests.items():
        print(f"  {op:<20} {per_op.get(op, 0):>6} {minimum:>8}")
    print(
        f"  total {stats.requests} requests ({refused} answered 429), plan {plan.total}; "
        f"ceil(tasks/20) = {math.ceil(plan.tasks / 20)}"
    )
    print(f"  wall {wall:.1f} s, goodput {goodput:.1f}/s = {goodput / LIMIT:.2f}x the limit")
    record(
        "restore_goodput",
        title="Restore goodput at a 50/s limit (x limit)",
        ours=goodput,
        raw=LIMIT,
        unit="requests/s",
        better="higher",
        target=0.85,
        detail=f"{plan.tasks} tasks, {stats.requests} requests, {refused} 429s, {wall:.1f} s",
    )


async def unlimited(tmp: Path, tasks: int) -> None:
    """Part 2: one big project, no limit, restored by the command in a child process."""
    out = tmp / "big"
    with fake_in_thread() as (source, sloop):

        def build() -> None:
            ws = source.add_workspace("Big")
            source.add_project(ws, "Big", task_count=tasks, seed=1)

        call(sloop, build)
        await _export(source, out)
    with fake_in_thread() as (target, tloop):
        folder = call(tloop, lambda: target.add_workspace("Into").id)
        env = {**os.environ, "TASKADE_TOKEN": target.token, "PYTHONPATH": str(ROOT)}
        command = ["restore", str(out), "--quiet"]
        command += ["--folder", folder, "--base-url", str(target.base_url)]
        args = [sys.executable, "-c", _PEAK, *command]
        started = time.perf_counter()
        done = await asyncio.to_thread(subprocess.run, args, env=env, capture_output=True)
        wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr.decode()
    peak = int(done.stderr.decode().rsplit("VmHWM:", 1)[1].split()[0]) / 1024
    print(f"restore of one {tasks}-task project by the command, no limit")
    print(f"  wall {wall:.1f} s (process start included), {tasks / wall:.0f} tasks/s")
    print(f"  peak RSS of the command: {peak:.0f} MB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks of part 2's project")
    parser.add_argument("--skip-limited", action="store_true", help="run part 2 only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_limited:
            await limited(Path(tmp))
        await unlimited(Path(tmp), args.tasks)


if __name__ == "__main__":
    asyncio.run(main())
