"""Raw request bodies for uploads: bytes, a path, a binary file, or an async iterable.

Bodies are streamed, never read whole into memory. Bytes and paths can be sent
again on a retry; a seekable file is rewound; an async iterable can be sent
only once, so a request carrying one is never retried after it started.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeAlias

from ._errors import ValidationError

__all__ = ["BodySource", "RawBody"]

_CHUNK = 64 * 1024

#: What ``data=`` accepts.
RawBody: TypeAlias = (
    bytes
    | bytearray
    | memoryview
    | os.PathLike[str]
    | IO[bytes]
    | io.RawIOBase
    | io.BufferedIOBase
    | AsyncIterable[bytes]
)


class BodySource:
    """One raw body, prepared once per call, opened once per attempt."""

    __slots__ = ("_data", "_start", "consumed", "replayable", "size")

    def __init__(self, data: Any) -> None:
        #: Whether any of a one-shot body was read (it can then never be sent again).
        self.consumed = False
        self._start = 0
        self.size: int | None = None
        if isinstance(data, bytes | bytearray | memoryview):
            self._data: Any = bytes(data)
            self.size = len(self._data)
            self.replayable = True
        elif isinstance(data, os.PathLike):
            path = Path(data)
            if not path.is_file():
                raise ValidationError(f"data: {path} is not a readable file")
            self._data = path
            self.size = path.stat().st_size
            self.replayable = True
        elif isinstance(data, str):
            raise ValidationError(
                "data: pass bytes, a pathlib.Path, a binary file or an async iterable"
            )
        elif isinstance(data, io.TextIOBase):
            raise ValidationError("data: the file is open in text mode; open it with 'rb'")
        elif hasattr(data, "read"):
            self._data = data
            seekable = bool(getattr(data, "seekable", lambda: False)())
            if seekable:
                self._start = data.tell()
                self.size = data.seek(0, io.SEEK_END) - self._start
                data.seek(self._start)
            self.replayable = seekable
        elif hasattr(data, "__aiter__"):
            self._data = data
            self.replayable = False
        else:
            raise ValidationError(
                f"data: cannot send {type(data).__name__}; pass bytes, a pathlib.Path, "
                "a binary file or an async iterable of bytes"
            )

    @contextmanager
    def open(self) -> Iterator[Any]:
        """The payload for one attempt (a file opened here is closed after it)."""
        if self.consumed and not self.replayable:
            raise RuntimeError("a one-shot body cannot be sent twice")
        data = self._data
        if isinstance(data, Path):
            with data.open("rb") as handle:
                yield handle
        elif hasattr(data, "read"):
            if self.replayable:
                data.seek(self._start)
            # Never hand aiohttp the caller's file: it would close it after sending.
            yield self._track(_file_chunks(data))
        elif isinstance(data, bytes):
            yield data
        else:
            yield self._track(_checked_chunks(data))

    async def _track(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Pass ``chunks`` through, noting once the source has been read from."""
        self.consumed = True
        async for chunk in chunks:
            yield chunk


async def _file_chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    """Read a binary file in chunks off the event loop, leaving it open."""
    loop = asyncio.get_running_loop()
    while chunk := await loop.run_in_executor(None, handle.read, _CHUNK):
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise ValidationError(f"data: the file returned {type(chunk).__name__}, not bytes")
        yield bytes(chunk)


async def _checked_chunks(source: AsyncIterable[Any]) -> AsyncIterator[bytes]:
    async for chunk in source:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise ValidationError(
                f"data: the async iterable yielded {type(chunk).__name__}, not bytes"
            )
        yield bytes(chunk)
