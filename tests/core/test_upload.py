"""Raw upload bodies: every accepted kind streams, replays when it can, and never twice when not."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import taskade_async as tk

from .conftest import SessionFactory, acquired
from .server import Handler, Server, error, reply, sequence

PUT = tk.Operation("mediaPut", "PUT", "/medias/{id}")
POST = tk.Operation("mediaUpload", "POST", "/medias/{id}")


def flaky() -> Handler:
    """A 503, then success."""
    return sequence(error(503, "UNAVAILABLE", "again"), reply())


def _sent_once_chunked(server: Server, body: bytes) -> None:
    """Exactly one request arrived, streamed with chunked encoding, and it carried ``body``."""
    (sent,) = server.requests()
    assert sent.body == body
    assert sent.headers.get("Transfer-Encoding") == "chunked"


class Pipe(io.RawIOBase):
    """A readable, non-seekable binary stream (like a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


async def test_path_body_is_streamed_and_replayed(
    server: Server, make_session: SessionFactory, tmp_path: Path
) -> None:
    """A path is sent whole with its Content-Length, again on a retry."""
    source = tmp_path / "big.bin"
    source.write_bytes(b"0123456789" * 30_000)
    server.route("PUT", "/medias/m", flaky())
    async with make_session() as s:
        await s.request(PUT, ("m",), data=source, content_type="application/zip")
    first, second = server.requests()
    assert first.body == second.body == source.read_bytes()
    assert first.headers["Content-Length"] == "300000"
    assert first.headers["Content-Type"] == "application/zip"


async def test_seekable_file_is_sent_from_its_position_and_left_open(
    server: Server, make_session: SessionFactory
) -> None:
    """A seekable file is sent from where it stood, rewound for a retry, and not closed."""
    handle = io.BytesIO(b"header|payload")
    handle.read(7)
    server.route("PUT", "/medias/m", flaky())
    async with make_session() as s:
        await s.request(PUT, ("m",), data=handle)
    assert [r.body for r in server.requests()] == [b"payload", b"payload"]
    assert server.requests()[0].headers["Content-Length"] == "7"
    assert server.requests()[0].headers["Content-Type"] == "application/octet-stream"
    assert not handle.closed


async def test_non_seekable_file_is_one_shot(server: Server, make_session: SessionFactory) -> None:
    """A pipe-like file is streamed chunked and, after a 503, not sent again."""
    server.route("PUT", "/medias/m", flaky())
    async with make_session() as s:
        with pytest.raises(tk.ServerError):
            await s.request(PUT, ("m",), data=Pipe(b"once only"))
        assert acquired(s) == 0
    _sent_once_chunked(server, b"once only")


async def test_async_iterable_is_streamed_chunked(
    server: Server, make_session: SessionFactory
) -> None:
    """An async iterable of bytes is streamed with chunked encoding, in order."""

    async def parts() -> AsyncIterator[bytes]:
        for i in range(5):
            yield f"part{i};".encode()

    server.route("POST", "/medias/m", reply())
    async with make_session() as s:
        await s.request(POST, ("m",), data=parts(), content_type="text/plain")
    _sent_once_chunked(server, b"part0;part1;part2;part3;part4;")


async def test_unread_async_iterable_is_retried_after_connect_failure(
    make_session: SessionFactory, dead_url: str
) -> None:
    """A one-shot body whose connection failed before any byte was read may go again."""
    pulled = 0

    async def parts() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled += 1
        yield b"x"

    async with make_session(base_url=f"{dead_url}/api/v1") as s:
        with pytest.raises(tk.TransportError):
            await s.request(POST, ("m",), data=parts())
        assert s.stats.requests == 4
    assert pulled == 0


@pytest.mark.parametrize(
    "data",
    ["text", io.StringIO("text"), Path("/nonexistent/file.bin"), 42],
    ids=["str", "text-file", "missing-path", "int"],
)
async def test_unusable_data_is_refused_before_sending(
    server: Server, make_session: SessionFactory, data: Any
) -> None:
    """Strings, text files, missing paths and other objects raise ValidationError, nothing sent."""
    async with make_session() as s:
        with pytest.raises(tk.ValidationError, match="data"):
            await s.request(PUT, ("m",), data=data)
    assert server.requests() == []
