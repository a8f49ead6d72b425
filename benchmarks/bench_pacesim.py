"""The pace model swept over scenarios on the virtual clock (``tests/core/pacesim.py``).

No server, no event loop: the pure parts of sessions (pace model, spacing,
window) against FakeTaskade's own token bucket, each scenario a few seconds
of CPU. It shows what the loopback benchmarks cannot in one run: how the
model behaves across limits (0.5/s to 300/s), start gaps between sessions
sharing a budget, round-trip spreads and random shedding. One row per run:
goodput as a fraction of what is allowed, the share refused (``ref``), for
shared budgets the min/max fairness ratio, the admitted rates and how many
sessions judged their refusals random (``noise``).

Run: ``python benchmarks/bench_pacesim.py [--seeds N] [--model FILE] [NAME-FILTER ...]``
from the root. Targets (DESIGN, issue 16): ref <= 0.05, good >= 0.9, fair >=
0.6, noise 0 where nothing sheds at random; shed30 x_ideal <= 3; soak x_clean
<= 1.5.

Fairness depends on which session each 429 falls on, so one run says little:
the ``fair`` rows (round trips of 3-8 ms, 8 start gaps), the ``jitter`` rows
(the same, each request reaching the server up to 3 ms late, so that
sessions' requests arrive out of order) and ``slowrtt`` rows take
``--seeds`` seeds each, and the summary at the end gives, per group, the
geometric mean and the 10th percentile of the fairness ratio, the runs below
0.6 and the worst share refused. Two models are compared on the same seeds:
``--model FILE`` runs a copy of ``_pace.py`` (a file defining ``PaceModel``)
in place of the package's. The ``shedR`` rows put random shedding (5%, 10%,
20% of admitted requests, ``Retry-After: 1``) on a bucket at R over the same
seeds and three round-trip spreads: the ``shed10`` row is one of them (seed
1, 5 ms), and the summary gives the median and worst goodput per share
(target 0.7 of what is left, as for shed10).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.core import pacesim
from tests.core.pacesim import THIRTY_PERCENT_IDEAL, Client, World, thirty_percent
from tests.core.pacesim import soak as soak_run

R = 300.0

Row = dict[str, Any]
Job = tuple[str, Callable[..., Row], tuple[Any, ...]]


def share(w: World) -> float:
    sent = [ok for c in w.clients for _, ok in c.sent]
    return sum(not ok for ok in sent) / max(1, len(sent))


def single(
    rate: float,
    burst: int,
    secs: float = 20.0,
    ceiling: float | None = None,
    ra: bool = True,
    calls: int | None = None,
) -> Row:
    w = World(rate, burst, [Client(ceiling=ceiling, calls=calls)], retry_after=ra)
    w.run(secs)
    c = w.clients[0]
    allowed = min(rate, ceiling or math.inf)
    if calls:
        fin = c.finished_at or secs
        return {"good": calls / fin / allowed, "ref": share(w)}
    return {"good": c.admitted(2.0, secs) / allowed, "ref": share(w)}


def shared(
    n: int,
    gap: float,
    seed: int = 1,
    rtt: tuple[float, float] = (0.005, 0.005),
    jitter: float = 0.0,
) -> Row:
    w = World(R, 30, [Client(start=gap * i) for i in range(n)], seed=seed, rtt=rtt, jitter=jitter)
    w.run(20.0)
    t0 = 4.0 + gap * (n - 1) if rtt[0] == rtt[1] else 5.0 + gap * (n - 1)
    rates = [c.admitted(t0, 20.0) for c in w.clients]
    return {
        "good": sum(rates) / R,
        "fair": min(rates) / max(rates),
        "ref": share(w),
        "noise": sum(c.model.noise > 0 for c in w.clients),
        "rates": [round(r) for r in rates],
    }


def other() -> Row:
    w = World(R, 30, [Client()], other=lambda t: R / 2 if t < 10.0 else 0.0)
    w.run(20.0)
    c = w.clients[0]
    return {
        "h1": c.admitted(3.0, 10.0) / (R / 2),
        "h2": c.admitted(13.0, 20.0) / R,
        "ref": share(w),
    }


def drop() -> Row:
    w = World(R, 30, [Client()], limit=lambda t: R / 3 if 5.0 <= t < 15.0 else R)
    w.run(25.0)
    c = w.clients[0]
    return {
        "low": c.admitted(8.0, 15.0) / (R / 3),
        "back": c.admitted(18.0, 25.0) / R,
        "ref": share(w),
    }


def shed10(shed: float = 0.1, seed: int = 1, rtt: tuple[float, float] = (0.005, 0.005)) -> Row:
    """A bucket at R with ``shed`` of the admitted requests refused at random (Retry-After: 1)."""
    w = World(R, 30, [Client()], shed=shed, seed=seed, rtt=rtt)
    w.run(20.0)
    return {"good": w.clients[0].admitted(3.0, 20.0) / ((1.0 - shed) * R)}


def shed30(seed: int) -> Row:
    return {"x_ideal": (thirty_percent(seed) or 120.0) / THIRTY_PERCENT_IDEAL}


def soak(seed: int) -> Row:
    # 1000 calls, unlimited server, 4% random 429s with Retry-After 0, vs clean
    clean, shed = (soak_run(s, seed) or 60.0 for s in (0.0, 0.04))
    return {"x_clean": shed / clean}


#: The random shares of the ``shedR`` rows (and of their summary lines).
SHEDS = (0.05, 0.1, 0.2)


def jobs(seeds: int) -> list[Job]:
    """Every scenario; the seeded groups with ``seeds`` seeds (slowrtt: 3x, shed30: at least 3)."""
    out: list[Job] = []
    for r, b in [(0.5, 2), (2, 3), (10, 5), (25, 5), (50, 10), (100, 10), (150, 20), (300, 30)]:
        out.append((f"single {r}/s b{b}", single, (r, b, max(20.0, 200 / r))))
    out.append(("single 25/s noRA", single, (25, 5, 20.0, None, False)))
    out.append(("single 25/s ceil1.5", single, (25, 5, 20.0, 37.5)))
    out.append(("export 300@25/s", single, (25, 5, 30.0, None, True, 300)))
    out.append(("gets 1500@150/s", single, (150, 20, 30.0, None, True, 1500)))
    for n in (2, 4):
        for gap in (0.0, 0.1, 0.4, 0.5, 0.6, 1.0):
            for seed in (1, 2):
                out.append((f"shared n{n} gap{gap} s{seed}", shared, (n, gap, seed)))
    for group, jitter in (("fair", 0.0), ("jitter", 0.003)):
        for n in (2, 4):
            for gap in (0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.8, 1.0):
                for seed in range(1, seeds + 1):
                    args = (n, gap, seed, (0.003, 0.008), jitter)
                    out.append((f"{group} n{n} gap{gap} s{seed}", shared, args))
    for seed in range(1, 3 * seeds + 1):
        out.append((f"slowrtt n4 s{seed}", shared, (4, 0.5, seed, (0.05, 0.3))))
    out.append(("other", other, ()))
    out.append(("drop", drop, ()))
    out.append(("shed10", shed10, ()))
    rtts = {"5ms": (0.005, 0.005), "3-8ms": (0.003, 0.008), "50-300ms": (0.05, 0.3)}
    for shed in SHEDS:
        for label, rtt in rtts.items():
            for seed in range(1, seeds + 1):
                out.append((f"shedR {shed} {label} s{seed}", shed10, (shed, seed, rtt)))
    for seed in range(1, max(3, seeds) + 1):
        out.append((f"shed30 s{seed}", shed30, (seed,)))
    for seed in (1, 2):
        out.append((f"soak4% s{seed}", soak, (seed,)))
    return out


def run(job: Job) -> tuple[str, Row, float]:
    name, f, args = job
    t = time.perf_counter()
    res = f(*args)
    return name, res, time.perf_counter() - t


def summary(rows: list[tuple[str, Row]]) -> list[str]:
    """Per seeded group: fairness (geometric mean, 10th percentile, runs below 0.6) and more."""
    lines = []
    for group in (
        "shared n2",
        "shared n4",
        "fair n2",
        "fair n4",
        "jitter n2",
        "jitter n4",
        "slowrtt",
    ):
        got = [r for name, r in rows if name.startswith(group)]
        if not got:
            continue
        fair = sorted(r["fair"] for r in got)
        geo = math.exp(statistics.fmean(math.log(max(f, 1e-3)) for f in fair))
        lines.append(
            f"{group:10s} runs={len(fair):3d} fair: geomean={geo:.3f} "
            f"p10={fair[len(fair) // 10]:.2f} min={fair[0]:.2f} "
            f"below0.6={sum(f < 0.6 for f in fair)}  ref max={max(r['ref'] for r in got):.3f}"
            f"  noise in {sum(r['noise'] > 0 for r in got)} runs"
        )
    for share in SHEDS:
        good = sorted(r["good"] for name, r in rows if name.startswith(f"shedR {share} "))
        if good:
            lines.append(
                f"shedR {share:<4} runs={len(good):3d} good: median={statistics.median(good):.2f} "
                f"min={good[0]:.2f} below0.7={sum(g < 0.7 for g in good)}"
            )
    shed = [r["x_ideal"] for name, r in rows if name.startswith("shed30")]
    if shed:
        lines.append(
            f"shed30     runs={len(shed):3d} x_ideal: median={statistics.median(shed):.2f} "
            f"max={max(shed):.2f} above3={sum(x > 3 for x in shed)}"
        )
    return lines


def use_model(path: str) -> None:
    """Run the scenarios with the ``PaceModel`` defined in the file at ``path``."""
    spec = importlib.util.spec_from_file_location("pace_model_under_test", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load a model from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    setattr(pacesim, "PaceModel", module.PaceModel)  # noqa: B010 (a module global, swapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only the scenarios whose name has one")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per fairness scenario")
    parser.add_argument("--model", help="a file defining PaceModel, run instead of _pace.py")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args()
    if args.model:
        use_model(args.model)  # before the pool: its workers fork with it
    selected = [j for j in jobs(args.seeds) if not args.names or any(s in j[0] for s in args.names)]
    rows: list[tuple[str, Row]] = []
    with ProcessPoolExecutor(2) as ex:
        for name, res, dt in ex.map(run, selected):
            rows.append((name, res))
            if not args.quiet:
                print(
                    f"{name:28s} "
                    + " ".join(
                        f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in res.items()
                    )
                    + f"  ({dt:.1f}s)",
                    flush=True,
                )
    for line in summary(rows):
        print(line)


if __name__ == "__main__":
    main()
