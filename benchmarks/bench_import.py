"""What ``import taskade_async`` adds to importing its dependencies (target <= 40 ms).

Each sample is a fresh interpreter; runs alternate so that noise hits both; the
medians and their difference are printed. Twice: with ``PYTHONDONTWRITEBYTECODE=1``
(as this machine sets it: every import compiles our sources, which have no
cached bytecode, while the installed dependencies have theirs) and without it
(after one warm-up run has cached the bytecode, as an installed package has).
Both import a fresh copy of the package (no ``__pycache__``) from a temporary
folder, so bytecode left by earlier runs cannot hide the compile cost.
Run: ``python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _results import record

DEPS = "import aiohttp, attrs, cattrs, yarl"
OURS = "import aiohttp, attrs, cattrs, yarl; import taskade_async, taskade_async.api"
TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


PACKAGE = Path(__file__).resolve().parent.parent / "taskade_async"


def _sample(stmt: str, env: dict[str, str], where: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(stmt=stmt)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=where,
    )
    return float(out.stdout)


def _measure(rounds: int, write_bytecode: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as where:
        shutil.copytree(
            PACKAGE, Path(where) / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__")
        )
        return _measure_in(where, rounds, write_bytecode)


def _measure_in(where: str, rounds: int, write_bytecode: bool) -> tuple[float, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = where
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        _sample(OURS, env, where)  # warm-up: caches the bytecode
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    deps: list[float] = []
    ours: list[float] = []
    for _ in range(rounds):
        deps.append(_sample(DEPS, env, where))
        ours.append(_sample(OURS, env, where))
    return statistics.median(deps), statistics.median(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"import time, median of {args.rounds} fresh interpreters:")
    for write_bytecode, label in (
        (False, "PYTHONDONTWRITEBYTECODE=1 (our sources compiled on each import)"),
        (True, "bytecode cached (PYTHONDONTWRITEBYTECODE unset)"),
    ):
        d, o = _measure(args.rounds, write_bytecode)
        if write_bytecode:  # as an installed package imports
            record(
                "import",
                title="import time (with dependencies)",
                ours=o * 1000,
                raw=d * 1000,
                unit="ms",
                better="lower",
                target=None,
                detail=f"adds {(o - d) * 1000:.1f} ms (target <= 40 ms), "
                f"median of {args.rounds}, bytecode cached",
            )
        print(f"  {label}:")
        print(f"    dependencies only            {d * 1000:7.1f} ms")
        print(
            f"    + taskade_async (+ .api)     {o * 1000:7.1f} ms   adds {(o - d) * 1000:.1f} ms "
            "(target <= 40 ms)"
        )


if __name__ == "__main__":
    main()
