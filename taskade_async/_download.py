"""A streaming binary response (media files, zip bundles)."""

from __future__ import annotations

import asyncio
import math
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from ._closing import Closing
from ._errors import RequestTimeoutError, TransportError

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Download", "filename_from_disposition", "transfer_deadline"]

_CHUNK = 64 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f/\\]")


def filename_from_disposition(value: str | None) -> str | None:
    """The file name of a ``Content-Disposition`` header (RFC 6266, ``filename*`` first)."""
    if not value:
        return None
    from email.message import Message  # rare path: keeps the import fast

    msg = Message()
    msg["content-disposition"] = value
    name = msg.get_filename()
    if not name:
        return None
    # Never let a server-chosen name climb out of a folder.
    name = _UNSAFE.sub("_", name).strip()
    return None if name in ("", ".", "..") else name


def transfer_deadline(deadline_at: float, min_rate: float, started: float, received: int) -> float:
    """When the next chunk must have come (``time.monotonic()``), ``received`` bytes in.

    By the call's deadline; past it, only while the body keeps coming at
    ``min_rate`` bytes per second on average since ``started`` (a big file
    that moves goes on; one that stalls or drips ends). ``min_rate`` 0: no
    minimum, the call's deadline alone.
    """
    if not min_rate:
        return deadline_at
    return max(deadline_at, started + received / min_rate)


class Download(Closing):
    """A response body streamed in chunks; read it once.

    ``async for chunk in download``, ``await download.read()`` or
    ``await download.save(path)``; use ``async with`` (or ``await
    download.close()``) to release the connection when you do not read it all.
    The body must come by the call's deadline, or past it at the session's
    ``download_min_rate`` at least: else :class:`RequestTimeoutError`.
    """

    __slots__ = (
        "_closed",
        "_deadline_at",
        "_min_rate",
        "_response",
        "content_length",
        "content_type",
        "filename",
        "url",
    )

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        *,
        deadline_at: float = math.inf,
        min_rate: float = 0.0,
    ) -> None:
        self._response = response
        self._deadline_at = deadline_at  # time.monotonic()
        self._min_rate = min_rate
        self._closed = False
        self.content_type: str = response.content_type
        self.content_length: int | None = response.content_length
        self.filename: str | None = filename_from_disposition(
            response.headers.get("Content-Disposition")
        )
        #: Where the bytes came from, after redirects (a storage URL may hold a signature).
        self.url = response.url

    def __repr__(self) -> str:
        return f"<Download {self.content_type} {self.filename or ''}>"  # no URL: may be signed

    async def close(self) -> None:
        """Release the connection (dropping any unread bytes)."""
        if not self._closed:
            self._closed = True
            self._response.release()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.iter_chunks()

    async def iter_chunks(self, size: int = _CHUNK) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most ``size`` bytes."""
        if self._closed:
            raise RuntimeError("this download was already read or closed")
        content = self._response.content
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        received = 0
        try:
            while True:
                until = transfer_deadline(self._deadline_at, self._min_rate, started, received)
                if until == math.inf:
                    chunk = await content.read(size)
                else:
                    timer = asyncio.timeout_at(loop.time() + until - time.monotonic())
                    try:
                        async with timer:
                            # aiohttp raises ClientPayloadError when fewer bytes than
                            # promised arrive.
                            chunk = await content.read(size)
                    except TimeoutError:
                        if timer.expired():  # else aiohttp's read_timeout: said below
                            raise self._too_slow(received) from None
                        raise
                if not chunk:
                    break
                received += len(chunk)
                yield chunk
        except Exception as exc:
            if isinstance(exc, TransportError):
                raise
            # The URL may be signed storage: its query is a credential, leave it out.
            cls = RequestTimeoutError if isinstance(exc, TimeoutError) else TransportError
            raise cls(
                f"download from {self.url.host} failed part-way: {type(exc).__name__}: {exc}",
                method="GET",
                url=str(self.url.with_query(None)),
            ) from exc
        finally:
            await self.close()

    def _too_slow(self, received: int) -> RequestTimeoutError:
        rate = f" or {self._min_rate:g} bytes/s" if self._min_rate else ""
        return RequestTimeoutError(
            f"download from {self.url.host} too slow: {received} bytes came, not within the"
            f" call's deadline{rate}",
            method="GET",
            url=str(self.url.with_query(None)),  # a signed storage URL's query is a credential
            may_have_applied=True,
        )

    async def read(self) -> bytes:
        """The whole body in memory (prefer ``save`` or iteration for large files)."""
        return b"".join([chunk async for chunk in self.iter_chunks()])

    async def save(self, path: str | os.PathLike[str]) -> int:
        """Stream the body to ``path`` atomically; returns the number of bytes written.

        The data goes to a temporary file beside ``path`` that replaces it only
        once complete, so a failed download never leaves a partial file.
        """
        target = Path(path)
        tmp = target.with_name(f".{target.name}.part")
        loop = asyncio.get_running_loop()
        written = 0
        try:
            # Disk writes run off the event loop, one chunk at a time.
            out = await loop.run_in_executor(None, tmp.open, "wb")
            try:
                async for chunk in self.iter_chunks():
                    await loop.run_in_executor(None, out.write, chunk)
                    written += len(chunk)
            finally:
                await loop.run_in_executor(None, out.close)
            await loop.run_in_executor(None, tmp.replace, target)
        except BaseException:
            await self.close()
            tmp.unlink(missing_ok=True)
            raise
        return written
