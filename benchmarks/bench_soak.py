"""Soak: 10,000 calls at 200 in flight against FakeTaskade dealing random faults.

GETs (``tasks.get``), PUTs (``tasks.update``, each on its own task) and POSTs
(``tasks.create``, each with its own text) meet seeded random faults: resets
after the server acted (no answer, or half of one), 503s, 429s with
``Retry-After`` and slow answers. Prints the figures and checks the invariants
users rely on; exits 1 if one fails.

FakeTaskade runs in this process, on the same event loop: the invariants are
checked against its in-memory state (which POSTs created a task, how many
times) and its request log (every request it received), read directly, not
through the faulted API. The price: client and server share one core, so the
latencies include the server's work. Run: ``nox -s bench`` or
``PYTHONPATH=. python benchmarks/bench_soak.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import time
from collections import Counter

import attrs
from _results import record

import taskade_async as tk
from taskade_async.api import tasks
from taskade_async.testing import FakeTaskade


@attrs.define
class Outcome:
    """What one call did, as the client saw it."""

    kind: str  # GET, PUT or POST
    index: int
    seconds: float
    error: Exception | None = None


@attrs.define
class Plan:
    """The calls to make, and the tasks they target."""

    project_id: str
    calls: list[tuple[str, int]]
    put_ids: list[str]
    get_ids: list[str]


def _plan(fake: FakeTaskade, n: int, rng: random.Random) -> Plan:
    kinds = rng.choices(["GET", "PUT", "POST"], weights=[5, 3, 2], k=n)
    counts = Counter(kinds)
    ws = fake.add_workspace("Soak")
    project = fake.add_project(ws, "Soak", task_count=counts["PUT"] + 500)
    ids = [t.id for t in fake.tasks(project)]
    put_ids, get_ids = ids[: counts["PUT"]], ids[counts["PUT"] :]
    seen: Counter[str] = Counter()
    calls = []
    for kind in kinds:
        calls.append((kind, seen[kind]))
        seen[kind] += 1
    return Plan(project.id, calls, put_ids, get_ids)


async def _run(s: tk.Session, plan: Plan, concurrency: int, rng: random.Random) -> list[Outcome]:
    pid = plan.project_id
    outcomes: list[Outcome] = []
    todo = iter(plan.calls)

    async def one(kind: str, i: int) -> None:
        if kind == "GET":
            tid = rng.choice(plan.get_ids)
            task = await tasks.get(s, pid, tid)
            if task.id != tid:
                raise AssertionError(f"GET {tid} answered {task.id}")
        elif kind == "PUT":
            await tasks.update(
                s, pid, plan.put_ids[i], content_type="text/plain", content=f"put-{i}"
            )
        else:
            new = {"content": f"post-{i}", "contentType": "text/plain", "placement": "beforeend"}
            await tasks.create(s, pid, tasks=[new])

    async def worker() -> None:
        for kind, i in todo:
            started = time.perf_counter()
            error: Exception | None = None
            try:
                await one(kind, i)
            except tk.TaskadeError as exc:
                error = exc
            outcomes.append(Outcome(kind, i, time.perf_counter() - started, error))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


def _says_maybe_applied(error: Exception | None) -> bool:
    return (
        isinstance(error, tk.TransportError)
        and error.may_have_applied
        and "may have been applied" in str(error)
    )


def _verdicts(
    fake: FakeTaskade, plan: Plan, outcomes: list[Outcome], s: tk.Session
) -> list[tuple[str, list[str]]]:
    """Each invariant with the calls that break it (none: PASS)."""
    state = fake.tasks(plan.project_id)
    texts = Counter(t.text for t in state)
    text_of = {t.id: t.text for t in state}
    landed = [
        f"{o.kind} {o.index}: {o.error}"
        for o in outcomes
        if o.kind != "POST" and o.error is not None
    ] + [
        f"PUT {o.index}: not in the state"
        for o in outcomes
        if o.kind == "PUT" and text_of[plan.put_ids[o.index]] != f"put-{o.index}"
    ]
    posts = [(o, texts[f"post-{o.index}"]) for o in outcomes if o.kind == "POST"]
    twice = [f"post-{o.index} acted {n} times" for o, n in posts if n > 1]
    done = [f"post-{o.index} acted {n} times" for o, n in posts if o.error is None and n != 1]
    unsaid = [
        f"post-{o.index} acted; raised {type(o.error).__name__}: {o.error}"
        for o, n in posts
        if o.error is not None and n and not _says_maybe_applied(o.error)
    ]
    false_alarm = [
        f"post-{o.index} acted, but its {type(o.error).__name__} said it could not have"
        for o, n in posts
        if n and isinstance(o.error, tk.TransportError) and not o.error.may_have_applied
    ]
    received, counted = len(fake.requests), s.stats.requests
    uncounted = [] if received == counted else [f"server got {received}, session counted {counted}"]
    return [
        ("every GET and PUT landed", landed),
        ("no POST acted twice", twice),
        ("a POST reported done acted exactly once", done),
        ("a POST whose answer was lost says it may have been applied", unsaid),
        ("a POST that said it was not applied did not act", false_alarm),
        ("every request the server received was counted", uncounted),
    ]


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] * 1000


async def _soak(args: argparse.Namespace) -> bool:
    rng = random.Random(args.seed)
    async with FakeTaskade(seed=args.seed) as fake:
        plan = _plan(fake, args.calls, rng)
        chance = fake.random_faults(
            seed=args.seed,
            reset_after=args.reset,
            reset_mid_body=args.reset,
            unavailable=args.unavailable,
            rate_limited=args.rate_limited,
            retry_after=1,
            slow=args.slow,
            slow_seconds=0.1,
            path="/api/v1/*",
        )
        policy = tk.RetryPolicy(max_attempts=8, base_backoff=0.05, max_backoff=1.0)
        started = time.perf_counter()
        async with tk.Session(
            fake.token,
            base_url=fake.base_url,
            retry=policy,
            max_connections=args.concurrency,
            deadline=90,
        ) as s:
            outcomes = await _run(s, plan, args.concurrency, rng)
            wall = time.perf_counter() - started
            fake.clear_faults()
            verdicts = _verdicts(fake, plan, outcomes, s)
            stats = s.stats
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kinds = Counter(o.kind for o in outcomes)
    errors = Counter(f"{o.kind} {type(o.error).__name__}" for o in outcomes if o.error)
    latencies = [o.seconds for o in outcomes]

    def row(name: str, value: object) -> None:
        print(f"  {name:<28} {value}")

    print(
        f"Soak: {len(outcomes)} calls ({kinds['GET']} GET, {kinds['PUT']} PUT, "
        f"{kinds['POST']} POST), {args.concurrency} in flight, seed {args.seed}"
    )
    print("  faults dealt: " + ", ".join(f"{k} {v}" for k, v in sorted(chance.drawn.items())))
    row("calls", len(outcomes))
    row("requests sent", stats.requests)
    row("retries", stats.retries)
    row("429s", stats.rate_limited)
    row("calls that raised", ", ".join(f"{k} {v}" for k, v in errors.items()) or "none")
    row("latency p50", f"{_ms(latencies, 0.5):.1f} ms")
    row("latency p99", f"{_ms(latencies, 0.99):.1f} ms")
    row("wall time", f"{wall:.1f} s")
    row("peak RSS (client + fake)", f"{peak_mb:.0f} MB")
    ok = True
    for name, failures in verdicts:
        print(f"{'PASS' if not failures else 'FAIL'}  {name}")
        for line in failures[:5]:
            print(f"        {line}")
        ok = ok and not failures
    if not args.standard:
        print("(not recorded in benchmarks/results: only the default run is the soak figure)")
        return ok
    passed = sum(not failures for _, failures in verdicts)
    record(
        "soak",
        title=f"{len(outcomes):,} calls under random faults: invariants passed",
        ours=passed,
        raw=len(verdicts),
        unit="invariants",
        better="higher",
        target=1.0,
        detail=(
            f"raw = the invariants checked; {args.concurrency} in flight, seed {args.seed}; "
            f"p50 {_ms(latencies, 0.5):.0f} ms, p99 {_ms(latencies, 0.99):.0f} ms; "
            f"{stats.retries} retries, {stats.requests} requests"
        ),
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", type=float, default=0.01, help="each reset kind's rate")
    parser.add_argument("--unavailable", type=float, default=0.02, help="503 rate")
    parser.add_argument("--rate-limited", type=float, default=0.002, help="429 rate")
    parser.add_argument("--slow", type=float, default=0.05, help="slow answer (0.1 s) rate")
    args = parser.parse_args()
    args.standard = all(value == parser.get_default(key) for key, value in vars(args).items())
    sys.exit(0 if asyncio.run(_soak(args)) else 1)


if __name__ == "__main__":
    main()
