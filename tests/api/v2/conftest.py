"""Fixtures for the v2 tests: a checked fake, a session on it, and a webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import attrs
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

import taskade_async as tk
from taskade_async.testing import FakeTaskade
from tests.fake import _conformance


@pytest_asyncio.fixture
async def taskade_fake(taskade_fake: FakeTaskade) -> AsyncIterator[FakeTaskade]:
    """The plugin's fake; afterwards every body it served is checked against the specs."""
    yield taskade_fake
    if _conformance.spec_available():
        found, _ = _conformance.problems(taskade_fake.requests)
        assert found == [], "bodies that break the spec:\n" + "\n".join(found)


@pytest_asyncio.fixture
async def session(taskade_fake: FakeTaskade) -> AsyncIterator[tk.Session]:
    """A session on the fake that retries at once (no backoff waits)."""
    policy = tk.RetryPolicy(base_backoff=0.0)
    async with tk.Session(
        token=taskade_fake.token, base_url=taskade_fake.base_url, retry=policy
    ) as s:
        yield s


@attrs.define
class Received:
    """One POST the receiver got: path, headers and the raw body bytes."""

    path: str
    signature: str | None
    content_type: str
    body: bytes


@attrs.define
class Receiver:
    """A small aiohttp.web server that records every delivery it gets."""

    server: TestServer
    got: list[Received] = attrs.Factory(list)
    status: int = 200
    arrived: asyncio.Event = attrs.Factory(asyncio.Event)

    def url(self, path: str = "/hook") -> str:
        """A target URL on this receiver (http on loopback)."""
        return str(self.server.make_url(path))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append(
            Received(
                request.path_qs,
                request.headers.get("X-Taskade-Signature"),
                request.content_type,
                body,
            )
        )
        self.arrived.set()
        return web.Response(status=self.status)


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that accepts every POST."""
    box: list[Receiver] = []

    async def handle(request: web.Request) -> web.Response:
        return await box[0].handle(request)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    box.append(Receiver(server))
    try:
        yield box[0]
    finally:
        await server.close()
