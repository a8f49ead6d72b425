"""Download: streaming, read, atomic save, names, release, and redirects that drop the token."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TypeVar

import pytest
from aiohttp import web

import taskade_async as tk
from taskade_async._download import filename_from_disposition

from .conftest import TOKEN, SessionFactory, acquired
from .server import Server, error, raw, redirect, reset_mid_body

DOWNLOAD = tk.Operation("mediaDownload", "GET", "/medias/{mediaId}/download")
DATA = bytes(range(256)) * 1024  # 256 KiB, several chunks
E = TypeVar("E", bound=BaseException)


def png(name: str = 'attachment; filename="photo.png"') -> web.StreamResponse:
    return web.Response(body=DATA, content_type="image/png", headers={"Content-Disposition": name})


def listing(folder: Path) -> list[str]:
    """The names in ``folder`` (blocking, but tiny)."""
    return sorted(p.name for p in folder.iterdir())


async def serve_png(request: web.Request) -> web.StreamResponse:
    return png()


async def _refused(
    make_session: SessionFactory, raised: type[E], match: str | None = None
) -> pytest.ExceptionInfo[E]:
    """Ask for the download: it raises ``raised`` (matching ``match``) and gives its connection
    back."""
    async with make_session() as s:
        with pytest.raises(raised, match=match) as info:
            await s.request(DOWNLOAD, ("m",), stream=True)
        assert acquired(s) == 0
    return info


async def test_chunks_type_and_name(server: Server, make_session: SessionFactory) -> None:
    """async for yields the body in chunks; content_type and filename come from headers."""
    server.route("GET", "/medias/m/download", serve_png)
    async with make_session() as s:
        async with await s.request(DOWNLOAD, ("m",), stream=True) as d:
            assert d.content_type == "image/png"
            assert d.filename == "photo.png"
            assert d.content_length == len(DATA)
            chunks = [c async for c in d]
        assert acquired(s) == 0
    assert len(chunks) > 1
    assert b"".join(chunks) == DATA


async def test_read_and_read_once(server: Server, make_session: SessionFactory) -> None:
    """read() returns the whole body; a second read is refused."""
    server.route("GET", "/medias/m/download", serve_png)
    async with make_session() as s:
        d = await s.request(DOWNLOAD, ("m",), stream=True)
        assert await d.read() == DATA
        with pytest.raises(RuntimeError, match="already read"):
            await d.read()


async def test_save_writes_the_file(
    server: Server, make_session: SessionFactory, tmp_path: Path
) -> None:
    """save() writes every byte to the path and returns the count."""
    server.route("GET", "/medias/m/download", serve_png)
    target = tmp_path / "out.png"
    async with make_session() as s:
        d = await s.request(DOWNLOAD, ("m",), stream=True)
        assert await d.save(target) == len(DATA)
    assert target.read_bytes() == DATA
    assert listing(tmp_path) == ["out.png"]


async def test_failed_save_leaves_no_partial_file(
    server: Server, make_session: SessionFactory, tmp_path: Path
) -> None:
    """A reset mid-body raises TransportError; the old file stays, no part file is left."""
    server.route("GET", "/medias/m/download", reset_mid_body(200, b"x" * 1000))
    target = tmp_path / "out.bin"
    target.write_bytes(b"previous")
    async with make_session() as s:
        d = await s.request(DOWNLOAD, ("m",), stream=True)
        with pytest.raises(tk.TransportError, match="part-way"):
            await d.save(target)
        assert acquired(s) == 0
    assert target.read_bytes() == b"previous"
    assert listing(tmp_path) == ["out.bin"]


async def test_leaving_async_with_unread_releases_connection(
    server: Server, make_session: SessionFactory
) -> None:
    """A download closed without reading gives its connection back."""
    server.route("GET", "/medias/m/download", serve_png)
    async with make_session() as s:
        async with await s.request(DOWNLOAD, ("m",), stream=True):
            assert acquired(s) == 1
        assert acquired(s) == 0


async def test_error_status_raises_typed_error(
    server: Server, make_session: SessionFactory
) -> None:
    """A download answered with 404 raises NotFoundError, not a Download."""
    server.route("GET", "/medias/m/download", error(404, "NOT_FOUND", "no media"))
    await _refused(make_session, tk.NotFoundError)


async def test_redirect_to_another_origin_drops_the_token(
    server: Server, other_server: Server, make_session: SessionFactory
) -> None:
    """A redirect to storage on another port is followed without the Authorization header."""
    storage = other_server.url.with_path("/bucket/photo.png").with_query(sig="abc")
    server.route("GET", "/medias/m/download", redirect(storage))
    other_server.route_abs("GET", "/bucket/photo.png", serve_png)
    async with make_session() as s:
        d = await s.request(DOWNLOAD, ("m",), stream=True)
        assert await d.read() == DATA
    assert server.requests()[0].headers["Authorization"] == f"Bearer {TOKEN}"
    (fetched,) = other_server.requests()
    assert "Authorization" not in fetched.headers
    assert fetched.query == {"sig": "abc"}
    assert TOKEN not in str(fetched.headers)


async def test_same_origin_redirect_keeps_the_token(
    server: Server, make_session: SessionFactory
) -> None:
    """A redirect within the API's origin keeps the Authorization header."""
    to_n = redirect("/api/v1/medias/n/download", web.HTTPTemporaryRedirect)
    server.route("GET", "/medias/m/download", to_n)
    server.route("GET", "/medias/n/download", serve_png)
    async with make_session() as s:
        assert await (await s.request(DOWNLOAD, ("m",), stream=True)).read() == DATA
    assert [r.headers.get("Authorization") for r in server.requests()] == [f"Bearer {TOKEN}"] * 2


async def test_redirect_loop_is_a_protocol_error(
    server: Server, make_session: SessionFactory
) -> None:
    """Endless redirects stop after a few hops with ProtocolError."""
    server.route("GET", "/medias/m/download", redirect("/api/v1/medias/m/download"))
    await _refused(make_session, tk.ProtocolError, "redirect")
    assert len(server.requests()) == 6


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="report.pdf"', "report.pdf"),
        ("attachment; filename*=UTF-8''na%C3%AFve%20plan.txt", "naïve plan.txt"),
        ('attachment; filename="../../etc/passwd"', ".._.._etc_passwd"),
        ('attachment; filename="a\\\\b.txt"', "a_b.txt"),
        ('attachment; filename=".."', None),
        ("attachment", None),
        ("", None),
    ],
)
def test_filename_from_disposition(header: str, name: str | None) -> None:
    """File names come from Content-Disposition with separators and dot names made safe."""
    assert filename_from_disposition(header) == name


async def test_unsafe_server_name_is_sanitized(
    server: Server, make_session: SessionFactory
) -> None:
    """A server-chosen name with path separators cannot climb out of a folder."""

    async def evil(request: web.Request) -> web.StreamResponse:
        return png('attachment; filename="../../.bashrc"')

    server.route("GET", "/medias/m/download", evil)
    server.route("GET", "/medias/x/download", raw(200, b"", "application/zip"))
    async with make_session() as s:
        async with await s.request(DOWNLOAD, ("m",), stream=True) as d:
            assert d.filename == ".._.._.bashrc"
        async with await s.request(DOWNLOAD, ("x",), stream=True) as d:
            assert d.filename is None
            assert await d.read() == b""


async def test_save_into_missing_folder_fails_and_releases(
    server: Server, make_session: SessionFactory, tmp_path: Path
) -> None:
    """A save that cannot open its file raises OSError and gives the connection back."""
    server.route("GET", "/medias/m/download", serve_png)
    async with make_session() as s:
        d = await s.request(DOWNLOAD, ("m",), stream=True)
        with pytest.raises(FileNotFoundError):
            await d.save(tmp_path / "no-such-folder" / "x.png")
        assert acquired(s) == 0


async def test_stalled_download_fails_after_read_timeout(
    server: Server, make_session: SessionFactory
) -> None:
    """A download whose server goes silent mid-body fails after read_timeout, connection freed."""

    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"x" * 100)
        return await server.hang(request)

    server.route("GET", "/medias/m/download", stall)
    async with make_session(read_timeout=0.2) as s:
        d = await s.request(DOWNLOAD, ("m",), stream=True)
        started = asyncio.get_running_loop().time()
        with pytest.raises(tk.RequestTimeoutError, match="part-way"):
            await d.read()
        assert 0.2 <= asyncio.get_running_loop().time() - started < 1.0
        assert acquired(s) == 0


@pytest.mark.parametrize("location", [None, "http://[bad", "ftp://127.0.0.1/x"])
async def test_unusable_redirect_is_a_protocol_error(
    server: Server, make_session: SessionFactory, location: str | None
) -> None:
    """A redirect without a Location, with a broken one, or to a non-http scheme is refused."""

    async def redirect(request: web.Request) -> web.StreamResponse:
        headers = {} if location is None else {"Location": location}
        return web.Response(status=302, headers=headers)

    server.route("GET", "/medias/m/download", redirect)
    await _refused(make_session, tk.ProtocolError, "redirect")


async def test_storage_error_after_redirect_hides_the_signature(
    server: Server, other_server: Server, make_session: SessionFactory
) -> None:
    """A refusal from storage raises a typed error that names the API URL, not the signed one."""
    storage = other_server.url.with_path("/bucket/x").with_query(sig="SIGNATURE")
    server.route("GET", "/medias/m/download", redirect(storage))
    other_server.route_abs(
        "GET", "/bucket/x", raw(403, b"<Error>AccessDenied</Error>", "application/xml")
    )
    info = await _refused(make_session, tk.ForbiddenError)
    assert "SIGNATURE" not in str(info.value)
    assert "SIGNATURE" not in info.value.url
    assert info.value.url.endswith("/api/v1/medias/m/download")
