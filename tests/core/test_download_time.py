"""A download's body is bounded in time: the call's deadline, then a minimum rate."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiohttp import web

import taskade_async as tk
from taskade_async._download import transfer_deadline

from .conftest import SessionFactory, acquired
from .server import Handler, Server

DOWNLOAD = tk.Operation("mediaDownload", "GET", "/medias/{mediaId}/download")


def dripping(size: int, every: float, piece: int = 1) -> Handler:
    """A handler sending ``size`` bytes, ``piece`` at a time, one every ``every`` seconds."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = size
        await response.prepare(request)
        for _ in range(size // piece):
            await response.write(b"x" * piece)
            await asyncio.sleep(every)
        await response.write_eof()
        return response

    return handler


async def consume(download: tk.Download, how: str, path: Path) -> None:
    """Read ``download`` whole, ``how``: read(), save(path) or iteration."""
    if how == "read":
        await download.read()
    elif how == "save":
        await download.save(path)
    else:
        async for _ in download:
            pass


@pytest.mark.parametrize("how", ["read", "save", "iterate"])
async def test_a_dripping_body_ends_at_the_calls_deadline(
    server: Server, make_session: SessionFactory, tmp_path: Path, how: str
) -> None:
    """A body coming a byte every 0.1 s ends in RequestTimeoutError near the 1 s deadline."""
    server.route("GET", "/medias/m/download", dripping(10_000, 0.1))
    async with make_session(deadline=1.0, read_timeout=30) as s:
        started = time.monotonic()
        download = await s.request(DOWNLOAD, ("m",), stream=True)
        with pytest.raises(tk.RequestTimeoutError, match="too slow"):
            await consume(download, how, tmp_path / "f.png")
        assert time.monotonic() - started < 10.0  # not 1,000 s of dripping
        assert acquired(s) == 0
    assert not (tmp_path / "f.png").exists()
    assert not (tmp_path / ".f.png.part").exists()  # no partial file


async def test_a_big_body_that_keeps_coming_outlasts_the_deadline(
    server: Server, make_session: SessionFactory
) -> None:
    """A body arriving well above the minimum rate may take longer than the call's deadline."""
    server.route("GET", "/medias/m/download", dripping(64 * 1024 * 12, 0.1, 64 * 1024))
    async with make_session(deadline=0.3, download_min_rate=64 * 1024) as s:
        download = await s.request(DOWNLOAD, ("m",), stream=True)
        started = time.monotonic()
        body = await download.read()
        assert time.monotonic() - started >= 0.3  # it went on past the deadline
    assert len(body) == 64 * 1024 * 12


def test_the_transfer_deadline_rule() -> None:
    """By the call's deadline; past it, only while the average rate stays at the minimum."""
    assert transfer_deadline(10.0, 0.0, 0.0, 10**9) == 10.0  # no minimum: the deadline
    assert transfer_deadline(10.0, 1000.0, 0.0, 5_000) == 10.0  # behind: the deadline
    assert transfer_deadline(10.0, 1000.0, 0.0, 50_000) == 50.0  # ahead: 50 s at 1,000 B/s
    assert transfer_deadline(10.0, 1000.0, 5.0, 50_000) == 55.0


def test_a_negative_minimum_rate_is_refused() -> None:
    """download_min_rate below zero is refused before anything is sent."""
    with pytest.raises(tk.ValidationError, match="download_min_rate"):
        tk.Session("tskdp_x", download_min_rate=-1)
