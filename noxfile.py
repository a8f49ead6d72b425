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


def _spec() -> str:
    return os.environ.get("TASKADE_OPENAPI", str(DEFAULT_SPEC))


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (over real HTTP on loopback against FakeTaskade)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs, env={"TASKADE_OPENAPI": _spec()})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, the generator, tests, benchmarks and this file."""
    session.install("-e", ".[test,cli]", "mypy>=1.13", "nox>=2024.10.9")
    session.run("mypy", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against raw aiohttp, side by side; prints medians and ratios."""
    session.install("-e", ".[test]")
    for script in ("bench_import.py", "bench_client.py", "bench_export.py", "bench_soak.py"):
        session.run("python", f"benchmarks/{script}", *session.posargs)


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate taskade_async/models and api from the spec (``-- --check`` only diffs)."""
    session.install("ruff>=0.8")
    session.run("python", "-m", "codegen", "--spec", _spec(), *session.posargs)
