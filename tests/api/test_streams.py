"""Uploads and downloads are streamed in chunks, never held whole in memory."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import taskade_async as tk
from taskade_async.api import bundles, medias

from .conftest import Recorder, Reply

UPLOADED = {
    "ok": True,
    "item": {"mediaId": "m1", "fileId": "f1", "kind": "file", "downloadUrl": "https://x/d"},
}
CHUNK = 256 * 1024


async def chunks(count: int) -> AsyncIterator[bytes]:
    """``count`` fresh chunks of CHUNK bytes (each made when asked for)."""
    for i in range(count):
        yield bytes([i % 256]) * CHUNK


async def test_upload_from_an_async_iterable_in_constant_memory(
    recorder: Recorder, session: tk.Session
) -> None:
    """16 MB from an async generator arrive whole while memory stays near one chunk."""
    recorder.keep_body = False
    recorder.reply(UPLOADED)
    want = hashlib.sha256()
    async for chunk in chunks(64):
        want.update(chunk)
    tracemalloc.start()
    try:
        made = await medias.upload(
            session, "s1", filename="big.bin", data=chunks(64), content_type="video/mp4"
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert made.media_id == "m1"
    assert recorder.last.body_size == 64 * CHUNK
    assert recorder.last.body_sha256 == want.hexdigest()
    assert recorder.last.headers["Content-Type"] == "video/mp4"
    assert peak < 4 * 1024 * 1024


@pytest.mark.parametrize("as_file", [False, True])
async def test_upload_from_a_path_or_a_file(
    recorder: Recorder, session: tk.Session, tmp_path: Path, as_file: bool
) -> None:
    """A path or a binary file object is streamed as the raw body."""
    path = tmp_path / "photo.jpg"
    content = bytes(range(256)) * 8192
    path.write_bytes(content)
    recorder.reply(UPLOADED)
    if as_file:
        with path.open("rb") as handle:
            await medias.upload(session, "s1", filename="photo.jpg", data=handle)
    else:
        await medias.upload(session, "s1", filename="photo.jpg", data=path)
    assert recorder.last.body == content


async def test_zip_import_over_50_mb_is_refused_before_sending(
    recorder: Recorder, session: tk.Session, tmp_path: Path
) -> None:
    """A bundle zip known to be over 50 MB raises ValidationError and nothing is sent."""
    big = tmp_path / "big.zip"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: no 50 MB written
    with pytest.raises(tk.ValidationError, match="at most 52428800"):
        await bundles.import_zip(session, "w1", data=big)
    assert recorder.requests == []


async def test_zip_import_sends_the_zip(recorder: Recorder, session: tk.Session) -> None:
    """A zip import sends the raw bytes as application/zip and decodes the installation."""
    counts = {"projectCount": 1, "flowCount": 0, "agentCount": 0, "templateCount": 0,
              "mediaCount": 0, "appCount": 0}  # fmt: skip
    recorder.reply({"ok": True, "item": {"id": "i1", **counts}})
    got = await bundles.import_zip(session, "w1", data=b"PK\x03\x04")
    assert recorder.last.body == b"PK\x03\x04"
    assert recorder.last.headers["Content-Type"] == "application/zip"
    assert got.project_count == 1


async def test_download_in_chunks(recorder: Recorder, session: tk.Session) -> None:
    """A download is read in bounded chunks, with its type and file name."""
    body = bytes(range(256)) * (12 * 1024)  # 3 MB
    recorder.replies.append(
        Reply(
            body=body,
            chunks=48,
            headers={
                "Content-Type": "image/png",
                "Content-Disposition": 'attachment; filename="pic.png"',
            },
        )
    )
    download = await medias.download(session, "m1")
    assert recorder.last.raw_path == "/api/v1/medias/m1/download"
    assert download.content_type == "image/png"
    assert download.filename == "pic.png"
    sizes = []
    digest = hashlib.sha256()
    async for chunk in download:
        sizes.append(len(chunk))
        digest.update(chunk)
    assert sum(sizes) == len(body)
    assert max(sizes) <= 64 * 1024
    assert digest.digest() == hashlib.sha256(body).digest()


async def test_download_to_a_file_and_zip_export(
    recorder: Recorder, session: tk.Session, tmp_path: Path
) -> None:
    """``save`` streams to disk; export_zip sends its format and streams the archive."""
    recorder.replies.append(Reply(body=b"A" * 100_000, chunks=7))
    async with await medias.download_all(session, "s1") as archive:
        written = await archive.save(tmp_path / "all.zip")
    assert written == 100_000
    assert (tmp_path / "all.zip").read_bytes() == b"A" * 100_000
    recorder.replies.append(Reply(body=b"PK", headers={"Content-Type": "application/zip"}))
    async with await bundles.export_zip(session, "s1", format="tsk") as z:
        assert await z.read() == b"PK"
    assert recorder.last.query_string == "format=tsk"


async def test_download_error_is_typed(recorder: Recorder, session: tk.Session) -> None:
    """A download answered with an error status raises the typed error, not a Download."""
    recorder.replies.append(
        Reply(json={"ok": False, "code": "NOT_FOUND", "message": "gone"}, status=404)
    )
    with pytest.raises(tk.NotFoundError):
        await medias.download(session, "m1")
