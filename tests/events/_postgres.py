"""A real PostgreSQL server for the test session, started from the machine's binaries.

Looks for ``initdb``/``postgres`` on PATH, then in Debian's
/usr/lib/postgresql/*/bin. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` user (``runuser``). Without the binaries a
developer's run skips the PostgreSQL tests with the reason; under CI
(``CI=true``) it fails: CI must run them (.ci/run installs Debian's package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["Unavailable", "postgres_server", "running_postgres"]


class Unavailable(Exception):
    """This machine cannot run a PostgreSQL server (the message says why)."""


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "postgres").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """Start a throwaway PostgreSQL server on loopback; yield its DSN; stop and delete it.

    Raises :class:`Unavailable` without the binaries (or asyncpg), RuntimeError if the
    server does not start.
    """
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        raise Unavailable("asyncpg is not installed (the postgres extra)") from None
    bindir = _bindir()
    if bindir is None:
        raise Unavailable("no initdb/postgres binaries on PATH or in /usr/lib/postgresql/*/bin")
    prefix: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise Unavailable("running as root and runuser is missing")
        prefix = [runuser, "-u", "postgres", "--"]
    # As root the server runs as postgres, which must reach the directory: /tmp, not $TMPDIR.
    root = Path(tempfile.mkdtemp(prefix="taskade-pg-", dir="/tmp" if prefix else None))
    try:
        if prefix:
            shutil.chown(root, "postgres", "postgres")
        data = root / "data"
        init = subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr[-2000:]}")
        port = _free_port()
        with open(root / "server.log", "wb") as log:
            server = subprocess.Popen(
                [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                 "-k", str(root), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "max_connections=200"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait_ready(server, bindir, port, root)
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: subprocess.Popen[bytes], bindir: Path, port: int, root: Path) -> None:
    """Return once the server accepts connections; raise if it exits or takes 120 s."""
    isready = bindir / "pg_isready"
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            text = (root / "server.log").read_text(errors="replace")
            raise RuntimeError(f"postgres exited: {text[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            ready = subprocess.run(
                [str(isready) if isready.exists() else "pg_isready", "-h", "127.0.0.1",
                 "-p", str(port)],
                capture_output=True, timeout=30, check=False,
            )  # fmt: skip
            if ready.returncode == 0:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("postgres did not start within 120 s")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session: its DSN. Skipped on a developer's
    machine without one; a failure under CI (``CI=true``)."""
    try:
        with running_postgres() as dsn:
            yield dsn
    except Unavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the PostgreSQL tests, but {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {exc} (install Debian's postgresql package)")
