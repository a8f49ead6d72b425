"""Fixtures for the foundation's tests: loopback servers and sessions bound to them."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import pytest

import taskade_async as tk
from taskade_async import _json as tk_json

from .server import Server

TOKEN = "tskdp_SECRET-token-0123456789"
#: Retries without real waiting: tests measure behaviour, not the default backoff.
FAST = tk.RetryPolicy(max_attempts=4, base_backoff=0.001, max_backoff=0.005)

SessionFactory = Callable[..., tk.Session]


@pytest.fixture(autouse=True)
def _no_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A TASKADE_BASE_URL left in the shell (from ``serve``) must not redirect these tests."""
    monkeypatch.delenv("TASKADE_BASE_URL", raising=False)


@pytest.fixture(params=["msgspec", "json"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with each decoder of 2xx answers: msgspec (speedups extra), the stdlib's."""
    if request.param == "json":
        monkeypatch.setattr(tk_json, "loads", json.loads)
    else:
        assert tk_json.DECODER == "msgspec", "the test extra installs msgspec"
    return str(request.param)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """A started loopback server, stopped after the test."""
    async with Server() as srv:
        yield srv


@pytest.fixture
async def other_server() -> AsyncIterator[Server]:
    """A second loopback server (another origin: another port)."""
    async with Server() as srv:
        yield srv


@pytest.fixture
def dead_url() -> Iterator[str]:
    """A loopback URL whose port is bound but not listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def make_session(server: Server) -> SessionFactory:
    """Build a Session against ``server`` with a test token and fast retries."""

    def make(**kwargs: Any) -> tk.Session:
        kwargs.setdefault("base_url", server.base_url)
        if "auth" not in kwargs:
            kwargs.setdefault("token", TOKEN)
        kwargs.setdefault("retry", FAST)
        return tk.Session(**kwargs)

    return make


def acquired(session: tk.Session) -> int:
    """How many connections the session's connector has handed out and not got back."""
    http = session._http
    assert http is not None
    connector = http.connector
    assert isinstance(connector, aiohttp.BaseConnector)
    return len(connector._acquired)


def record_waits(session: tk.Session) -> list[float]:
    """Make ``session`` record each retry wait it would take, yielding once instead of waiting."""
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)
        await asyncio.sleep(0)

    session._sleep = sleep
    return waits
