"""Project tasks: ``nox -s tests lint typecheck``; ``generate`` and ``bench`` on demand."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
#: The official spec lives outside the project (reference data, never committed).
DEFAULT_SPEC = ROOT.parent / "shared" / "taskade" / "openapi-v1.json"
DEFAULT_SPEC_V2 = ROOT.parent / "shared" / "taskade" / "openapi-v2-excerpt.json"


def _spec() -> str:
    return os.environ.get("TASKADE_OPENAPI", str(DEFAULT_SPEC))


def _spec_v2() -> str:
    return os.environ.get("TASKADE_OPENAPI_V2", str(DEFAULT_SPEC_V2))


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (over real HTTP on loopback against FakeTaskade)."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        *session.posargs,
        env={"TASKADE_OPENAPI": _spec(), "TASKADE_OPENAPI_V2": _spec_v2()},
    )


@nox.session
def repeat(session: nox.Session) -> None:
    """The whole suite N times in a row (``nox -s repeat -- 10``), two workers; stops at a failure.

    Flakes are races: a run that fails here names the test to fix.
    """
    session.install("-e", ".[test]", "pytest-xdist>=3.6")
    times = int(session.posargs[0]) if session.posargs else 10
    env = {"TASKADE_OPENAPI": _spec(), "TASKADE_OPENAPI_V2": _spec_v2()}
    for n in range(1, times + 1):
        session.log(f"run {n} of {times}")
        session.run("pytest", "-q", "-n", "2", *session.posargs[1:], env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, the generator, tests, benchmarks and this file."""
    session.install("-e", ".[test,cli,bench]", "mypy>=1.13", "nox>=2024.10.9", "pandas-stubs")
    session.run("mypy", *session.posargs)
    # Every Python block of README.rst and docs/, as a reader would type it.
    session.run("python", "-m", "tests.docs.typecheck")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs site into docs/_build/html; any warning is an error."""
    session.install("-e", ".[docs]")
    session.run(
        "sphinx-build", "-b", "html", "-n", "-W", "--keep-going", "-E",
        "docs", "docs/_build/html", *session.posargs,
    )  # fmt: skip


@nox.session
def dagster(session: nox.Session) -> None:
    """examples/dagster: materialize every partition (one per shard) against FakeTaskade."""
    session.install("-e", ".[dlt]", "dagster", "dagster-dlt")
    session.run("python", "examples/dagster/materialize_demo.py")


#: The benchmark scripts ``nox -s bench`` runs; each adds its figures to the results file.
BENCHES = (
    "bench_import.py",
    "bench_client.py",
    "bench_export.py",
    "bench_ratelimit.py",
    "bench_shared.py",
    "bench_soak.py",
    "bench_bot.py",
    "bench_restore.py",
    "bench_load.py",
)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against raw aiohttp, side by side; medians, ratios, then the chart.

    Each script prints its figures and records them in benchmarks/results/latest.json;
    benchmarks/chart.py then draws docs/_static/bench.png and the table in the docs.
    """
    session.install("-e", ".[test,bench]")  # test: dlt[duckdb] for bench_load.py
    # The other clients of bench_client.py (benchmarks/_competitors.py), here only: never a
    # runtime or test dependency. Pinned, so that the generated client is the same each run.
    session.install("httpx==0.28.1", "openapi-python-client==0.29.1")
    session.run("python", "benchmarks/_results.py", "--new")
    for script in BENCHES:
        session.run(
            "python", f"benchmarks/{script}", *session.posargs, env={"TASKADE_OPENAPI": _spec()}
        )
    session.run("python", "benchmarks/chart.py")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate taskade_async/models and api from the specs (``-- --check`` only diffs)."""
    session.install("ruff==0.17.6")  # pinned: codegen/__init__.py FORMATTER
    session.run(
        "python", "-m", "codegen", "--spec", _spec(), "--spec-v2", _spec_v2(), *session.posargs
    )
