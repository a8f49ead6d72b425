"""Hostile servers: each bad answer ends in a typed error, in the deadline, in bounded memory."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

import taskade_async as tk

from .conftest import SessionFactory, acquired
from .server import Handler, Server, raw

#: Each test runs with both decoders of 2xx answers: their errors must be the same.
pytestmark = pytest.mark.usefixtures("decoder")

GET = tk.Operation("taskGet", "GET", "/t/{id}")
NEVER = tk.RetryPolicy.never()
DEEP = b"[" * 200_000 + b"]" * 200_000


def endless(status: int = 200, written: list[int] | None = None) -> Handler:
    """A handler streaming JSON-looking bytes, chunked, until the client goes away."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"ok": true, "items": [')
        chunk = b'{"id": "x", "text": "more"},' * 2000
        try:
            while True:
                await response.write(chunk)
                if written is not None:
                    written.append(len(chunk))
        except (ConnectionError, RuntimeError):
            pass  # the client closed the connection: what the test wants
        return response

    return handler


def drip(body: bytes, every: float = 0.02) -> Handler:
    """A handler that promises ``body`` and sends it one byte at a time."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": str(len(body))}
        )
        await response.prepare(request)
        for i in range(len(body)):
            await response.write(body[i : i + 1])
            await asyncio.sleep(every)
        return response

    return handler


@pytest.mark.parametrize(
    "body",
    [DEEP, b'{"ok": true, "item": ' + DEEP + b"}"],
    ids=["bare", "inside-ok"],
)
async def test_deeply_nested_json_is_a_protocol_error(
    server: Server, make_session: SessionFactory, body: bytes
) -> None:
    """A 200,000-deep array raises ProtocolError saying so, not RecursionError."""
    server.route("GET", "/t/a", raw(200, body, "application/json"))
    async with make_session() as s:
        with pytest.raises(tk.ProtocolError, match="nested too deeply") as info:
            await s.request(GET, ("a",))
        assert acquired(s) == 0
    assert info.value.attempts == 1  # hostile nesting is not a glitch: never retried
    assert len(server.requests()) == 1


async def test_deeply_nested_error_body_is_still_the_status_error(
    server: Server, make_session: SessionFactory
) -> None:
    """A 404 whose body nests too deeply is a NotFoundError (and a ProtocolError)."""
    server.route("GET", "/t/a", raw(404, b"[" * 30_000, "application/json"))
    async with make_session() as s:
        with pytest.raises(tk.NotFoundError, match="nested too deeply") as info:
            await s.request(GET, ("a",))
    exc: BaseException = info.value  # both a NotFoundError and a ProtocolError
    assert isinstance(exc, tk.ProtocolError)


async def test_body_longer_than_the_cap_is_refused_before_reading(
    server: Server, make_session: SessionFactory
) -> None:
    """A Content-Length above max_response_bytes fails at once, naming the cap."""
    big = b'{"ok": true, "x": "' + b"a" * 100_000 + b'"}'
    server.route("GET", "/t/a", raw(200, big, "application/json"))
    async with make_session(max_response_bytes=10_000, retry=NEVER) as s:
        with pytest.raises(tk.ProtocolError, match=r"max_response_bytes \(10000 bytes\)"):
            await s.request(GET, ("a",))
        assert acquired(s) == 0


async def test_endless_body_stops_at_the_cap(server: Server, make_session: SessionFactory) -> None:
    """An endless chunked 200 is read only up to the cap, then dropped with ProtocolError."""
    written: list[int] = []
    server.route("GET", "/t/a", endless(written=written))
    async with make_session(max_response_bytes=1 << 20, retry=NEVER) as s:
        with pytest.raises(tk.ProtocolError, match="longer than max_response_bytes"):
            await s.request(GET, ("a",))
        assert acquired(s) == 0
    # The server could write little more than the cap plus socket buffers before it stopped.
    assert sum(written) < 64 << 20


async def test_decompression_bomb_is_capped_on_decoded_bytes(
    server: Server, make_session: SessionFactory
) -> None:
    """A small gzip body that inflates past the cap is refused: the cap counts decoded bytes."""
    bomb = gzip.compress(b'{"ok": true, "x": "' + b"0" * (16 << 20) + b'"}')
    assert len(bomb) < 1 << 20

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )

    server.route("GET", "/t/a", handler)
    async with make_session(max_response_bytes=1 << 20, retry=NEVER) as s:
        with pytest.raises(tk.ProtocolError, match="longer than max_response_bytes"):
            await s.request(GET, ("a",))


async def test_endless_error_body_ends(server: Server, make_session: SessionFactory) -> None:
    """A 503 whose body never ends is read only in part; the status error is raised."""
    server.route("GET", "/t/a", endless(503))
    async with make_session() as s:
        with pytest.raises(tk.ServerError):
            await s.request(GET, ("a",))
        assert acquired(s) == 0


async def test_body_that_is_not_utf8_is_a_protocol_error(
    server: Server, make_session: SessionFactory
) -> None:
    """Bytes that are not UTF-8 raise ProtocolError saying so."""
    server.route("GET", "/t/a", raw(200, b'{"ok": true, "item": "\xff\xfe"}', "application/json"))
    async with make_session(retry=NEVER) as s:
        with pytest.raises(tk.ProtocolError, match="not UTF-8"):
            await s.request(GET, ("a",))


async def test_dripping_body_ends_at_the_deadline(
    server: Server, make_session: SessionFactory
) -> None:
    """An answer sent a byte at a time ends in RequestTimeoutError at the call's deadline."""
    server.route("GET", "/t/a", drip(b'{"ok": true, "item": "' + b"x" * 10_000 + b'"}'))
    async with make_session(deadline=0.3) as s:
        with pytest.raises(tk.RequestTimeoutError, match="deadline") as info:
            await s.request(GET, ("a",))
        assert acquired(s) == 0
    assert info.value.attempts == 1


@pytest.fixture
async def dripping_status_line() -> AsyncIterator[str]:
    """A raw TCP server that sends its status line one byte at a time, forever."""
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while not done.is_set():
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: ":
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.01)
        except ConnectionError:
            pass
        finally:
            writer.close()

    tcp = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/api/v1"
    done.set()
    tcp.close()
    await tcp.wait_closed()


async def test_dripping_headers_end_at_the_deadline(
    make_session: SessionFactory, dripping_status_line: str
) -> None:
    """Headers that trickle in forever end in RequestTimeoutError at the per-call deadline."""
    async with make_session(base_url=dripping_status_line) as s:
        with pytest.raises(tk.RequestTimeoutError):
            await s.request(GET, ("a",), deadline=0.3)
        assert acquired(s) == 0


@pytest.mark.parametrize("cap", [0, -1, 1.5, True])
def test_bad_response_cap_is_refused(cap: object) -> None:
    """max_response_bytes must be a positive int."""
    with pytest.raises(tk.ValidationError, match="max_response_bytes"):
        tk.Session("tskdp_x", max_response_bytes=cap)  # type: ignore[arg-type]
