"""Helpers for FakeTaskade's own tests: a plain aiohttp client bound to the fake."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import attrs
import pytest_asyncio
from multidict import CIMultiDictProxy

from taskade_async.testing import FakeTaskade

from . import _conformance


@attrs.frozen
class Reply:
    """A response, read whole: status, headers, raw bytes and the JSON (if any)."""

    status: int
    headers: CIMultiDictProxy[str]
    raw: bytes

    @property
    def json(self) -> Any:
        """The decoded JSON body."""
        return json.loads(self.raw)


@attrs.define
class Api:
    """Sends requests to a fake's /api/v1 (or ``prefix``) with its token, like a plain client."""

    http: aiohttp.ClientSession
    fake: FakeTaskade
    token: str | None
    prefix: str = "/api/v1"

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | io.BytesIO | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request to ``base_url + path``; the whole response."""
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        url = str(self.fake.url.with_path(self.prefix)) + path
        async with self.http.request(
            method, url, json=json, data=data, params=params, headers=sent
        ) as response:
            return Reply(response.status, response.headers, await response.read())

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`call`, but expect a 200 with ``ok: true`` and return the JSON."""
        reply = await self.call(method, path, **kwargs)
        assert reply.status == 200, (reply.status, reply.raw[:500])
        body = reply.json
        assert body["ok"] is True
        return body

    async def error(self, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
        """Like :meth:`call`, but expect ``status`` with the documented error body."""
        reply = await self.call(method, path, **kwargs)
        assert reply.status == status, (reply.status, reply.raw[:500])
        body: dict[str, Any] = reply.json
        assert body["ok"] is False
        assert set(body) == {"ok", "message", "code", "statusMessage"}
        return body


@pytest_asyncio.fixture
async def taskade_fake(taskade_fake: FakeTaskade) -> AsyncIterator[FakeTaskade]:
    """The plugin's fake; after the test, every API JSON body it served is checked.

    Each 2xx and 4xx body of a routed operation must validate against the
    official spec's response schema (when the spec file is present).
    """
    yield taskade_fake
    if _conformance.spec_available():
        found, _ = _conformance.problems(taskade_fake.requests)
        assert found == [], "bodies that break the spec:\n" + "\n".join(found)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp client session."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture
async def api(taskade_fake: FakeTaskade, http: aiohttp.ClientSession) -> Api:
    """An :class:`Api` on the test's fake, with its personal token."""
    return Api(http, taskade_fake, taskade_fake.token)
