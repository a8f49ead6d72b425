"""What ``import taskade_async`` adds to importing its dependencies (target <= 40 ms).

Each sample is a fresh interpreter; runs alternate so that noise hits both; the
medians and their difference are printed. Run: ``python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

DEPS = "import aiohttp, attrs, cattrs, yarl"
OURS = "import aiohttp, attrs, cattrs, yarl; import taskade_async, taskade_async.api"
TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _sample(stmt: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(stmt=stmt)], check=True, capture_output=True, text=True
    )
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    deps: list[float] = []
    ours: list[float] = []
    for _ in range(args.rounds):
        deps.append(_sample(DEPS))
        ours.append(_sample(OURS))
    d, o = statistics.median(deps), statistics.median(ours)
    print(f"import time, median of {args.rounds} fresh interpreters:")
    print(f"  dependencies only            {d * 1000:7.1f} ms")
    print(
        f"  + taskade_async (+ .api)     {o * 1000:7.1f} ms   adds {(o - d) * 1000:.1f} ms "
        "(target <= 40 ms)"
    )


if __name__ == "__main__":
    main()
