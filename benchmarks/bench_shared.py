"""Pacing when the budget is shared, changes, or sheds at random: ours and two reference pacers.

FakeTaskade runs in its own process with one token bucket per token
(R = 300/s, burst 30, 429 with ``Retry-After``); each client is its own OS
process, every session on the same token. Scenarios:

- ``shared2`` / ``shared4``: 2 or 4 processes, no client limit, 20 s;
  together >= 0.85 R, each >= 0.6x any other, <= 5% refused (measured after
  the last one started, plus 3 s);
- ``other``: another consumer spends R/2 for the first 10 s, then stops;
  >= 0.85 of what is left in each half (3 s to settle);
- ``drop``: the limit is R/3 from 5 s to 15 s; >= 0.8 of each phase's limit
  after 3 s, <= 6% refused;
- ``shed10``: the bucket at R, and 10% of requests refused at random
  (``Retry-After: 1``); >= 0.7 x 0.9 R;
- ``shed30``: 600 concurrent GETs, no limit, 30% refused at random
  (``Retry-After: 1``); time within 3x the ideal (log(600)/log(1/0.3)
  rounds of one second, 5.3 s);
- ``soak``: 500 PUTs + 500 POSTs at 64 in flight with 8% 503s and 8% resets
  after acting, with and without 4% random 429s (``Retry-After: 0``);
  within 1.5x (ours only: the reference pacers do not retry writes safely).

Run k (from 1) seeds the server's random faults with k, so that the runs of
the shedding scenarios and the soak meet different draws, not one lucky one;
each line gives the medians, and the last figure (the one with the target) of every run.

Pacers: ``ours`` (a Session), ``backoff`` (raw aiohttp: exponential backoff
with jitter honouring ``Retry-After``, no pacing) and ``botocore`` (raw
aiohttp paced by botocore's adaptive retry mode: a CUBIC rate calculator, a
measured sending rate and a token bucket, as in ``botocore/retries/adaptive.py``,
``throttling.py`` and ``bucket.py``). Medians of ``--runs`` runs are printed.
Run: ``python benchmarks/bench_shared.py [--runs 3] [--only shared2,drop]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import aiohttp

import taskade_async as tk
from taskade_async.api import tasks
from taskade_async.testing import FakeTaskade

TOKEN: Final = "tskdp_benchmark_shared"
R: Final = 300.0
BURST: Final = 30
WORKERS: Final = 64
PACERS: Final = ("ours", "backoff", "botocore")

# -- the server process ----------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    async with FakeTaskade(token=TOKEN, record=False) as fake:
        space = fake.add_workspace("Bench")
        project = fake.add_project(space, "Shared", task_count=500)
        ids = [t.id for t in fake.tasks(project)][:50]
        if args.rate:
            fake.set_rate_limit(args.rate, BURST)
        if args.shed or args.unavailable or args.reset:
            fake.random_faults(
                seed=args.seed,
                rate_limited=args.shed,
                retry_after=args.shed_retry_after,
                unavailable=args.unavailable,
                reset_after=args.reset,
                path="/api/v1/*",
            )
        print(json.dumps({"base_url": str(fake.base_url), "project": project.id, "tasks": ids}))
        sys.stdout.flush()
        if args.drop:
            start, end = (float(x) for x in args.drop.split(":"))
            at = float(args.at)
            await asyncio.sleep(max(0.0, at + start - time.monotonic()))
            fake.set_rate_limit(args.rate / 3, BURST)
            await asyncio.sleep(max(0.0, at + end - time.monotonic()))
            fake.set_rate_limit(args.rate, BURST)
        await asyncio.Event().wait()


# -- the reference pacers ------------------------------------------------------------


class Cubic:
    """botocore's CubicCalculator (scale constant 0.4, beta 0.7)."""

    def __init__(self, start: float, now: float) -> None:
        self.w_max, self.c, self.beta, self.last_fail = start, 0.4, 0.7, now
        self.k = self._k()

    def _k(self) -> float:
        return float((self.w_max * (1 - self.beta) / self.c) ** (1 / 3))

    def success(self, now: float) -> float:
        return self.c * (now - self.last_fail - self.k) ** 3 + self.w_max

    def error(self, rate: float, now: float) -> float:
        self.w_max, self.last_fail = rate, now
        self.k = self._k()
        return rate * self.beta


class RateClocker:
    """botocore's RateClocker: the sending rate, smoothed over half-second buckets."""

    def __init__(self, now: float) -> None:
        self.rate, self.count, self.last = 0.0, 0, math.floor(now * 2) / 2

    def record(self, now: float) -> float:
        bucket = math.floor(now * 2) / 2
        self.count += 1
        if bucket > self.last:
            current = self.count / (bucket - self.last)
            self.rate = current * 0.8 + self.rate * 0.2
            self.count, self.last = 0, bucket
        return self.rate


class Botocore:
    """botocore's ClientRateLimiter over an asyncio token bucket (min rate 0.5/s)."""

    def __init__(self) -> None:
        now = time.monotonic()
        self.cubic, self.clock = Cubic(0.5, now), RateClocker(now)
        self.enabled, self.max_rate, self.tokens, self.at = False, 0.5, 0.0, now
        self.lock = asyncio.Lock()

    async def before(self) -> None:
        if not self.enabled:
            return
        async with self.lock:  # one at a time, in order
            while True:
                now = time.monotonic()
                capacity = max(self.max_rate, 1.0)
                self.tokens = min(capacity, self.tokens + (now - self.at) * self.max_rate)
                self.at = now
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self.tokens) / self.max_rate)

    def after(self, throttled: bool) -> None:
        now = time.monotonic()
        measured = self.clock.record(now)
        if not throttled:
            new = self.cubic.success(now)
        else:
            rate = measured if not self.enabled else min(measured, self.max_rate)
            new = self.cubic.error(rate, now)
            self.enabled = True
        self.max_rate = max(0.5, min(new, 2.0 * measured))


class Backoff:
    """No pacing: each refused call waits its Retry-After (else a jittered backoff)."""

    async def before(self) -> None:
        return None

    def after(self, throttled: bool) -> None:
        return None


# -- the client process ------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.admitted: list[float] = []
        self.refused = 0
        self.requests = 0


async def _raw_get(
    http: aiohttp.ClientSession, pacer: Botocore | Backoff, url: str, tally: Tally
) -> None:
    """One GET until admitted (the call's retries), as the reference clients make it."""
    attempt = 0
    while True:
        await pacer.before()
        tally.requests += 1
        try:
            async with http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as r:
                await r.read()
                status, after = r.status, r.headers.get("Retry-After")
        except aiohttp.ClientError:
            status, after = 0, None
        pacer.after(status == 429)
        if status == 200:
            tally.admitted.append(time.monotonic())
            return
        if status == 429:
            tally.refused += 1
        attempt += 1
        wait = float(after) if after is not None else random.uniform(0, min(20, 0.05 * 2**attempt))
        await asyncio.sleep(wait)


async def _client(args: argparse.Namespace) -> None:
    info = json.loads(args.info)
    base, project, ids = info["base_url"], info["project"], info["tasks"]
    tally = Tally()
    start = float(args.at) + args.start
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    end = float(args.at) + args.seconds
    if args.pacer == "ours":
        retry = tk.RetryPolicy(max_attempts=50, base_backoff=0.05, max_backoff=2.0)
        async with tk.Session(TOKEN, base_url=base, retry=retry, max_connections=WORKERS) as s:

            async def one(i: int) -> None:
                try:
                    await tasks.get(s, project, ids[i % len(ids)])
                    tally.admitted.append(time.monotonic())
                except tk.TaskadeError:
                    pass

            if args.calls:
                await asyncio.gather(*(one(i) for i in range(args.calls)))
            else:

                async def loop(w: int) -> None:
                    i = w
                    while time.monotonic() < end:
                        await one(i)
                        i += WORKERS

                await asyncio.gather(*(loop(w) for w in range(WORKERS)))
            tally.refused, tally.requests = s.stats.rate_limited, s.stats.requests
    else:
        pacer: Botocore | Backoff = Botocore() if args.pacer == "botocore" else Backoff()
        connector = aiohttp.TCPConnector(limit=WORKERS)
        async with aiohttp.ClientSession(connector=connector) as http:

            def url(i: int) -> str:
                return f"{base}/projects/{project}/tasks/{ids[i % len(ids)]}"

            if args.calls:
                await asyncio.gather(
                    *(_raw_get(http, pacer, url(i), tally) for i in range(args.calls))
                )
            else:

                async def raw_loop(w: int) -> None:
                    i = w
                    while time.monotonic() < end:
                        await _raw_get(http, pacer, url(i), tally)
                        i += WORKERS

                await asyncio.gather(*(raw_loop(w) for w in range(WORKERS)))
    out = {"admitted": tally.admitted, "refused": tally.refused, "requests": tally.requests}
    out["finished"] = time.monotonic() - float(args.at)
    print(json.dumps(out))


async def _consumer(args: argparse.Namespace) -> None:
    """Another consumer of the budget: GETs at a fixed pace, whatever the answers."""
    info = json.loads(args.info)
    url = f"{info['base_url']}/projects/{info['project']}/tasks/{info['tasks'][0]}"
    at, end = float(args.at), float(args.at) + args.seconds
    async with aiohttp.ClientSession() as http:
        n = 0

        async def get() -> None:
            async with http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as r:
                await r.read()

        pending = set()
        while (due := at + n / args.rate) < end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            pending.add(asyncio.ensure_future(get()))
            n += 1
        await asyncio.gather(*pending, return_exceptions=True)
    print("{}")


async def _soak_client(args: argparse.Namespace) -> None:
    """500 PUTs and 500 POSTs at 64 in flight; the seconds they took."""
    info = json.loads(args.info)
    base, project, ids = info["base_url"], info["project"], info["tasks"]
    retry = tk.RetryPolicy(max_attempts=20, base_backoff=0.05, max_backoff=1.0)
    gate = asyncio.Semaphore(WORKERS)
    started = time.monotonic()
    async with tk.Session(TOKEN, base_url=base, retry=retry, max_connections=WORKERS) as s:

        async def put(i: int) -> None:
            async with gate:
                await tasks.update(
                    s, project, ids[i], content_type="text/plain", content=f"put-{i}"
                )

        async def post(i: int) -> None:
            async with gate:
                new = {
                    "content": f"post-{i}",
                    "contentType": "text/plain",
                    "placement": "beforeend",
                }
                await tasks.create(s, project, tasks=[new])

        results = await asyncio.gather(
            *(put(i) for i in range(500)), *(post(i) for i in range(500)), return_exceptions=True
        )
    failed = sum(isinstance(r, BaseException) for r in results)
    print(
        json.dumps(
            {
                "seconds": time.monotonic() - started,
                "failed": failed,
                "refused": s.stats.rate_limited,
            }
        )
    )


# -- the driver ----------------------------------------------------------------------------


def _spawn(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, text=True)


def _server(at: float, **options: Any) -> tuple[subprocess.Popen[str], str]:
    argv = ["--serve", "--at", repr(at)]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    proc = _spawn(*argv)
    assert proc.stdout is not None
    return proc, proc.stdout.readline()


def _run(scenario: str, pacer: str, seconds: float, seed: int = 1) -> dict[str, float]:
    """One run of ``scenario`` with ``pacer``, the server's random faults seeded: its figures."""
    at = time.monotonic() + 3.0  # every process starts its clock here
    server_options: dict[str, Any] = {"rate": R, "seed": seed}
    clients, starts, calls, other = 1, [0.0], 0, False
    if scenario in ("shared2", "shared4"):
        clients = int(scenario[-1])
        starts = [0.5 * i for i in range(clients)]
    elif scenario == "drop":
        server_options["drop"] = "5:15"
        seconds = 25.0
    elif scenario == "shed10":
        server_options.update(shed=0.1, shed_retry_after=1)
    elif scenario == "shed30":
        server_options.update(rate=0, shed=0.3, shed_retry_after=1)
        calls = 600
    elif scenario == "other":
        other = True
    server, info = _server(at, **server_options)
    procs = []
    try:
        for i in range(clients):
            argv = ["--client", "--at", repr(at), "--info", info, "--pacer", pacer]
            argv += ["--start", str(starts[i]), "--seconds", str(seconds), "--calls", str(calls)]
            procs.append(_spawn(*argv))
        if other:
            argv = ["--consumer", "--at", repr(at), "--info", info, "--rate", str(R / 2)]
            consumer = _spawn(*argv, "--seconds", str(seconds / 2))
        try:
            outs = [json.loads(p.communicate(timeout=seconds + 120)[0]) for p in procs]
        except subprocess.TimeoutExpired:  # it never finished: say so, go on
            for p in procs:
                p.kill()
                p.wait()
            return {"refused": math.nan, "x ideal": math.inf}
        if other:
            consumer.communicate(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=10)
    refused = sum(o["refused"] for o in outs) / max(1, sum(o["requests"] for o in outs))
    figures = {"refused": refused}
    if scenario == "shed30":
        ideal = math.log(600) / math.log(1 / 0.3)
        figures["x ideal"] = max(o["finished"] for o in outs) / ideal
        return figures

    def rate(o: dict[str, Any], t0: float, t1: float) -> float:
        times: list[float] = o["admitted"]
        return sum(t0 <= t - at < t1 for t in times) / (t1 - t0)

    if scenario.startswith("shared"):
        rates = [rate(o, starts[-1] + 3.0, seconds) for o in outs]
        figures.update(total=sum(rates) / R, fairness=min(rates) / max(rates))
    elif scenario == "other":
        half = seconds / 2
        figures.update(
            first=rate(outs[0], 3.0, half) / (R / 2), second=rate(outs[0], half + 3, seconds) / R
        )
    elif scenario == "drop":
        figures.update(low=rate(outs[0], 8.0, 15.0) / (R / 3), back=rate(outs[0], 18.0, 25.0) / R)
    elif scenario == "shed10":
        figures["goodput"] = rate(outs[0], 3.0, seconds) / (0.9 * R)
    return figures


def _soak(with_429: bool, seed: int = 1) -> dict[str, float]:
    at = time.monotonic()
    options: dict[str, Any] = {"rate": 0, "unavailable": 0.08, "reset": 0.08, "seed": seed}
    if with_429:
        options.update(shed=0.04, shed_retry_after=0)
    server, info = _server(at, **options)
    try:
        proc = _spawn("--soak-client", "--info", info)
        out = json.loads(proc.communicate(timeout=300)[0])
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"seconds": out["seconds"], "failed": out["failed"]}


SCENARIOS: Final = ("shared2", "shared4", "other", "drop", "shed10", "shed30", "soak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--pacers", default=",".join(PACERS))
    # The processes this script starts:
    for flag in ("--serve", "--client", "--consumer", "--soak-client"):
        parser.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    for flag in ("--at", "--info", "--pacer", "--drop"):
        parser.add_argument(flag, default="0", help=argparse.SUPPRESS)
    for flag in ("--rate", "--shed", "--shed-retry-after", "--unavailable", "--reset", "--start"):
        parser.add_argument(flag, type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drop == "0":
        args.drop = ""
    role: Callable[[argparse.Namespace], Any] | None = (
        _serve
        if args.serve
        else _client
        if args.client
        else _consumer
        if args.consumer
        else _soak_client
        if args.soak_client
        else None
    )
    if role is not None:
        asyncio.run(role(args))
        return
    load = Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3]
    print(f"machine load: {' '.join(load)} (other work shares the machine)")
    for scenario in args.only.split(","):
        if scenario == "soak":
            clean = [_soak(False, seed)["seconds"] for seed in range(1, args.runs + 1)]
            noisy = [_soak(True, seed)["seconds"] for seed in range(1, args.runs + 1)]
            c, n = statistics.median(clean), statistics.median(noisy)
            print(
                f"soak      ours      without 429s {c:6.1f} s  with 4% 429s {n:6.1f} s  "
                f"ratio {n / c:.2f} (target <= 1.5)"
            )
            continue
        for pacer in args.pacers.split(","):
            runs = [_run(scenario, pacer, args.seconds, seed) for seed in range(1, args.runs + 1)]
            keys = runs[0].keys()
            medians = {k: statistics.median(r[k] for r in runs) for k in keys}
            shown = "  ".join(f"{k} {v:.3f}" for k, v in medians.items())
            if args.runs > 1:  # each run's server seeded apart: say how far they spread
                key = list(keys)[-1]  # the figure with the target
                shown += f"  ({key} per run: " + ", ".join(f"{r[key]:.3f}" for r in runs) + ")"
            print(f"{scenario:9} {pacer:9} {shown}", flush=True)


if __name__ == "__main__":
    main()
