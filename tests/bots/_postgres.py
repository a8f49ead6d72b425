"""A real PostgreSQL server for the test session, started from the machine's binaries.

Looks for ``initdb``/``postgres`` on PATH, then in Debian's
/usr/lib/postgresql/*/bin. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` user (``runuser``). Without the binaries a
developer's run skips the PostgreSQL tests with the reason; under CI
(``CI=true``) it fails: CI must run them (.ci/run installs Debian's package).
"""

from __future__ import annotations

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

__all__ = ["postgres_server"]


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "postgres").exists():
            return Path(candidate)
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must run the PostgreSQL tests, but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (install Debian's postgresql package)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL server on loopback; yield its DSN."""
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        _unavailable("asyncpg is not installed (the postgres extra)")
    bindir = _bindir()
    if bindir is None:
        _unavailable("no initdb/postgres binaries on PATH or in /usr/lib/postgresql/*/bin")
    assert bindir is not None
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="taskade-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("running as root and runuser is missing")
        shutil.chown(root, "postgres", "postgres")
        prefix = [str(runuser), "-u", "postgres", "--"]
    data = root / "data"
    init = subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
         "-E", "UTF8", "--no-sync"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed: {init.stderr[-2000:]}", pytrace=False)
    port = _free_port()
    log = open(root / "server.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:  # wait for the server to accept connections (or to die)
            if server.poll() is not None:
                text = (root / "server.log").read_text(errors="replace")
                pytest.fail(f"postgres exited: {text[-2000:]}", pytrace=False)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                ready = subprocess.run(
                    [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                    capture_output=True, timeout=30, check=False,
                )  # fmt: skip
                if ready.returncode == 0:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("postgres did not start within 120 s", pytrace=False)
            time.sleep(0.05)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
