"""Proxies from the environment (trust_env), and aiohttp trace configs labelled by operation."""

from __future__ import annotations

import asyncio
import contextlib
import types
from collections.abc import AsyncIterator

import aiohttp
import attrs
import pytest
from yarl import URL

import taskade_async as tk
from taskade_async.api import medias, projects
from taskade_async.testing import FakeTaskade


@attrs.define
class Seen:
    """One request as the proxy received it."""

    method: str
    url: URL
    authorization: str | None


class ForwardProxy:
    """A plain-HTTP forward proxy on loopback: takes absolute-form requests, records, relays."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.closing(writer):
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ")
            headers = dict(line.split(": ", 1) for line in head[1:] if line)
            url = URL(target)
            self.seen.append(Seen(method, url, headers.get("Authorization")))
            body = await reader.readexactly(int(headers.get("Content-Length", "0")))
            headers["Connection"] = "close"
            assert url.host is not None
            assert url.port is not None
            up_reader, up_writer = await asyncio.open_connection(url.host, url.port)
            with contextlib.closing(up_writer):
                lines = [f"{method} {url.raw_path_qs} HTTP/1.1"]
                lines += [f"{k}: {v}" for k, v in headers.items()]
                up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
                while chunk := await up_reader.read(65536):
                    writer.write(chunk)
                    await writer.drain()


@pytest.fixture
async def proxy() -> AsyncIterator[ForwardProxy]:
    """A started forward proxy."""
    async with ForwardProxy() as p:
        yield p


async def test_http_proxy_from_the_environment_is_used(
    taskade_fake: FakeTaskade, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HTTP_PROXY set, requests go through it; the token only ever to the API's host."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    space = taskade_fake.add_workspace("W")
    project = taskade_fake.add_project(space, "P")
    media = taskade_fake.add_media(space, "a.txt", b"hello")
    taskade_fake.redirect_downloads = True  # a 302 to storage on another host (localhost)
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url) as s:
        assert (await projects.get(s, project.id)).id == project.id
        async with await medias.download(s, media.id) as download:
            assert await download.read() == b"hello"
    api = taskade_fake.base_url
    assert [(x.method, x.url.host) for x in proxy.seen] == [
        ("GET", api.host),
        ("GET", api.host),
        ("GET", "localhost"),
    ]
    for x in proxy.seen:
        bound_for_api = (x.url.host, x.url.port) == (api.host, api.port)
        assert (x.authorization == f"Bearer {taskade_fake.token}") is bound_for_api


async def test_trust_env_false_connects_directly(
    taskade_fake: FakeTaskade, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session(trust_env=False) ignores HTTP_PROXY and goes straight to the server."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, trust_env=False) as s:
        await projects.get(s, project.id)
    assert proxy.seen == []


async def test_a_dead_proxy_fails_instead_of_going_direct(
    taskade_fake: FakeTaskade, monkeypatch: pytest.MonkeyPatch, unused_tcp_port: int
) -> None:
    """A proxy that cannot be reached is a TransportError: the session never goes around it."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{unused_tcp_port}")
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    fast = tk.RetryPolicy(max_attempts=2, base_backoff=0.001, max_backoff=0.002)
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, retry=fast) as s:
        with pytest.raises(tk.TransportError):
            await projects.get(s, project.id)
    assert taskade_fake.requests == []


async def test_no_proxy_lists_hosts_to_reach_directly(
    taskade_fake: FakeTaskade, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host in NO_PROXY is reached directly although HTTP_PROXY is set."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url) as s:
        await projects.get(s, project.id)
    assert proxy.seen == []


async def test_trace_configs_see_each_requests_operation(taskade_fake: FakeTaskade) -> None:
    """Each request's trace_request_ctx is its Operation, with operation_id, at start and end."""
    seen: list[tuple[str, str, int | None]] = []

    async def on_start(
        _: aiohttp.ClientSession, ctx: types.SimpleNamespace, p: aiohttp.TraceRequestStartParams
    ) -> None:
        seen.append(("start", ctx.trace_request_ctx.operation_id, None))

    async def on_end(
        _: aiohttp.ClientSession, ctx: types.SimpleNamespace, p: aiohttp.TraceRequestEndParams
    ) -> None:
        seen.append(("end", ctx.trace_request_ctx.operation_id, p.response.status))

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    async with tk.Session(
        taskade_fake.token, base_url=taskade_fake.base_url, trace_configs=[config]
    ) as s:
        await projects.get(s, project.id)
        await projects.list_tasks(s, project.id).collect()
        with pytest.raises(tk.NotFoundError):
            await projects.get(s, "nope")
    assert seen == [
        ("start", "projectGet", None),
        ("end", "projectGet", 200),
        ("start", "projectTasksGet", None),
        ("end", "projectTasksGet", 200),
        ("start", "projectGet", None),
        ("end", "projectGet", 404),
    ]


async def test_trace_configs_are_checked() -> None:
    """trace_configs must be TraceConfigs, and cannot be given with an http session of one's own."""
    with pytest.raises(tk.ValidationError, match=r"sequence of aiohttp\.TraceConfig"):
        tk.Session("tskdp_x", trace_configs=[object()])  # type: ignore[list-item]
    async with aiohttp.ClientSession() as http:
        with pytest.raises(tk.ValidationError, match="give them to http"):
            tk.Session("tskdp_x", http=http, trace_configs=[aiohttp.TraceConfig()])


async def test_the_environment_is_read_once_when_the_session_opens(
    taskade_fake: FakeTaskade, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proxies are read at open (not per request, which costs a thread hop each in aiohttp)."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url) as s:
        monkeypatch.delenv("HTTP_PROXY")
        await projects.get(s, project.id)
        await projects.get(s.with_options(deadline=5), project.id)  # views share it
    assert len(proxy.seen) == 2
