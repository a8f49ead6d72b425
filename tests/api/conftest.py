"""A small recording server on loopback: it records each request and answers canned replies."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import taskade_async as tk

from ._world import world  # noqa: F401 - the operation tests' account, as a fixture

TOKEN = "tskdp_test_token"


@attrs.define
class Reply:
    """A canned answer: JSON, or raw bytes (sent in ``chunks`` pieces when streaming)."""

    json: Any = None
    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = attrs.Factory(dict)
    chunks: int = 1


@attrs.define
class Recorded:
    """One request as it reached the server."""

    method: str
    raw_path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    body_size: int
    body_sha256: str

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    """Queue of replies and list of requests; ``keep_body=False`` only hashes the body."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.keep_body = True

    def reply(self, json: Any = None, **kwargs: Any) -> None:
        self.replies.append(Reply(json=json, **kwargs))

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        digest = hashlib.sha256()
        size = 0
        kept = bytearray()
        async for chunk in request.content.iter_any():
            digest.update(chunk)
            size += len(chunk)
            if self.keep_body:
                kept.extend(chunk)
        path, _, query = request.raw_path.partition("?")
        self.requests.append(
            Recorded(
                method=request.method,
                raw_path=path,
                query_string=query,
                headers=dict(request.headers),
                body=bytes(kept),
                body_size=size,
                body_sha256=digest.hexdigest(),
            )
        )
        reply = self.replies.popleft() if self.replies else Reply(json={"ok": True})
        if reply.body is None:
            return web.json_response(reply.json, status=reply.status, headers=reply.headers)
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        response.content_length = len(reply.body)
        await response.prepare(request)
        step = max(1, -(-len(reply.body) // reply.chunks))
        for start in range(0, len(reply.body), step):
            await response.write(reply.body[start : start + step])
        await response.write_eof()
        return response


@pytest.fixture
def recorder() -> Recorder:
    """The recording server's state."""
    return Recorder()


@pytest.fixture
async def server(recorder: Recorder) -> AsyncIterator[TestServer]:
    """The recording server, on 127.0.0.1 with a free port."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    srv = TestServer(app, host="127.0.0.1", port=0)
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture
async def session(server: TestServer) -> AsyncIterator[tk.Session]:
    """A Session pointed at the recording server, with retries off."""
    base = str(server.make_url("/api/v1"))
    async with tk.Session(token=TOKEN, base_url=base, retry=tk.RetryPolicy(max_attempts=1)) as s:
        yield s
