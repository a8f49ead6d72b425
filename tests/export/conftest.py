"""Fixtures of the exporter's tests: the loopback server and a session to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from taskade_async import RetryPolicy, Session
from tests.export._server import TOKEN, Server, make_account


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """A running test server with the default account."""
    async with Server(make_account()) as running:
        yield running


@pytest.fixture
async def session(server: Server) -> AsyncIterator[Session]:
    """A session to ``server`` that retries quickly."""
    retry = RetryPolicy(max_attempts=8, base_backoff=0.01, max_backoff=0.05)
    async with Session(TOKEN, base_url=server.base_url, retry=retry) as opened:
        yield opened
