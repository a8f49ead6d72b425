"""A small disk for the exporter: every file it writes shares a fixed number of bytes.

:class:`SmallDisk` stands in for ``_store.open_output``; once the bytes
written reach its size, a write fails with ``ENOSPC`` as on a full disk.
Run as ``python -m tests.export._small_disk BYTES ARGS...`` it runs the
command (``taskade-async ARGS...``) on a disk of that size.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from pathlib import Path
from typing import IO, cast

import attrs

from taskade_async.export import _store


@attrs.define
class SmallDisk:
    """Holds ``size`` bytes (None: no limit); counts what the export writes."""

    size: int | None = None
    used: int = 0

    def open(self, path: Path) -> IO[bytes]:
        """Open ``path`` for writing on this disk."""
        # A file object with the methods the store uses; typing.IO is nominal.
        return cast(IO[bytes], _OnDisk(self, path, path.open("wb")))

    def install(self) -> None:
        """Make every file of the export go through this disk, for the rest of the process."""
        _store.open_output = self.open


class _OnDisk(io.BufferedIOBase):
    """A file whose writes fail with ENOSPC once its disk is full."""

    def __init__(self, disk: SmallDisk, path: Path, raw: IO[bytes]) -> None:
        self._disk, self._path, self._raw = disk, path, raw

    def write(self, data: bytes) -> int:  # type: ignore[override]
        disk = self._disk
        if disk.size is not None and disk.used + len(data) > disk.size:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self._path))
        disk.used += len(data)
        return self._raw.write(data)

    def flush(self) -> None:
        self._raw.flush()

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        try:
            super().close()  # flushes first
        finally:
            self._raw.close()


def main() -> int:
    """``python -m tests.export._small_disk BYTES ARGS...``: the command on a small disk."""
    from taskade_async.cli import main as command

    SmallDisk(int(sys.argv[1])).install()
    return command(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
