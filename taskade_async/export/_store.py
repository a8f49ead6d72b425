"""Crash-safe storage of an export: staged units, the checkpoint, the final files.

An export is cut into units of work (discovery, one per folder, one per
project). Each unit writes its records to files in its own staging folder;
when the unit is finished the files are flushed and fsynced and the folder is
renamed into ``units/`` in one atomic step. The set of folders in ``units/``
is the checkpoint: a unit is either entirely there or not at all, whatever
moment the process is killed at. Resuming redoes exactly the units that are
not there. Once every unit is in, :meth:`ExportState.compact` concatenates
the units' files, in the plan's order, into one ``<type>.jsonl`` per record
type (each written to a temporary name and renamed), so the files are
byte-identical however often the export was interrupted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Final

import attrs

from ._records import ItemError, Record, encode_line

__all__ = [
    "STATE_DIR",
    "ExportState",
    "FileStat",
    "UnitWriter",
    "atomic_write",
    "fsync_dir",
]

#: The folder inside the output folder that holds the checkpoint while an export runs.
STATE_DIR: Final = ".taskade-export"
_ERRORS: Final = "errors.json"
_PLAN: Final = "plan.json"
_COPY_CHUNK: Final = 1024 * 1024


def fsync_dir(path: Path) -> None:
    """Make a rename or creation inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one."""
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


def dump_json(value: Any) -> bytes:
    """Pretty, stable JSON (sorted keys) for the checkpoint and the manifest."""
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


class UnitWriter:
    """Stages the records and errors of one unit; :meth:`commit` publishes them at once."""

    __slots__ = ("_files", "_final", "_staging", "counts", "errors")

    def __init__(self, staging: Path, final: Path) -> None:
        if staging.exists():
            shutil.rmtree(staging)  # left by an interrupted run: start the unit afresh
        staging.mkdir(parents=True)
        self._staging = staging
        self._final = final
        self._files: dict[str, IO[bytes]] = {}
        #: Records written, per type.
        self.counts: Counter[str] = Counter()
        self.errors: list[ItemError] = []

    def write(self, record: Record) -> None:
        """Append one record (a whole line) to its type's staging file."""
        out = self._files.get(record.type)
        if out is None:
            out = self._files[record.type] = (self._staging / f"{record.type}.jsonl").open("wb")
        out.write(encode_line(record))
        self.counts[record.type] += 1

    def error(self, error: ItemError) -> None:
        """Note an item that could not be exported."""
        self.errors.append(error)

    def add_file(self, name: str, data: bytes) -> None:
        """Stage an extra file that is published with the unit (e.g. the plan)."""
        (self._staging / name).write_bytes(data)

    def commit(self) -> None:
        """Flush, fsync and publish the unit (one rename); afterwards it is checkpointed."""
        self.add_file(_ERRORS, dump_json([e.as_json() for e in self.errors]))
        for out in self._files.values():
            out.flush()
            os.fsync(out.fileno())
            out.close()
        self._files.clear()
        for name in os.listdir(self._staging):
            if name.endswith(".json"):
                with (self._staging / name).open("rb+") as extra:
                    os.fsync(extra.fileno())
        fsync_dir(self._staging)
        if self._final.exists():  # a committed copy can only be stale here
            shutil.rmtree(self._final)
        self._staging.rename(self._final)
        fsync_dir(self._final.parent)

    def abandon(self) -> None:
        """Close the files and leave the staged data as it is (what a crash leaves)."""
        for out in self._files.values():
            out.close()
        self._files.clear()

    def discard(self) -> None:
        """Drop the staged data (the unit will be redone)."""
        self.abandon()
        shutil.rmtree(self._staging, ignore_errors=True)


@attrs.frozen(slots=True)
class FileStat:
    """One output file: how many records and bytes, and its SHA-256."""

    records: int
    bytes: int
    sha256: str


class ExportState:
    """The checkpoint of an export in ``OUT_DIR/.taskade-export``."""

    __slots__ = ("_staging", "_units", "out_dir", "root")

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.root = out_dir / STATE_DIR
        self._units = self.root / "units"
        self._staging = self.root / "staging"

    def exists(self) -> bool:
        """Whether an unfinished export left its checkpoint here."""
        return self.root.is_dir()

    def create(self) -> None:
        """Create the checkpoint folders."""
        self._units.mkdir(parents=True, exist_ok=True)
        self._staging.mkdir(parents=True, exist_ok=True)
        fsync_dir(self.root)
        fsync_dir(self.out_dir)

    def done(self, key: str) -> bool:
        """Whether unit ``key`` is checkpointed."""
        return (self._units / key).is_dir()

    def writer(self, key: str) -> UnitWriter:
        """A writer that stages unit ``key`` (dropping what an earlier attempt staged)."""
        return UnitWriter(self._staging / key, self._units / key)

    def plan(self, key: str) -> Any:
        """The plan saved with the checkpointed unit ``key``, or None."""
        path = self._units / key / _PLAN
        if not path.is_file():
            return None
        return json.loads(path.read_bytes())

    @staticmethod
    def plan_file(writer: UnitWriter, plan: Any) -> None:
        """Stage ``plan`` with ``writer``'s unit, so both are checkpointed together."""
        writer.add_file(_PLAN, dump_json(plan))

    def errors(self, keys: Iterable[str]) -> list[ItemError]:
        """The errors of the checkpointed units, in unit order."""
        out: list[ItemError] = []
        for key in keys:
            path = self._units / key / _ERRORS
            if path.is_file():
                out.extend(ItemError.from_json(raw) for raw in json.loads(path.read_bytes()))
        return out

    def counts(self, keys: Iterable[str]) -> Counter[str]:
        """Records per type in the checkpointed units (lines of their staged files)."""
        total: Counter[str] = Counter()
        for key in keys:
            unit = self._units / key
            if not unit.is_dir():
                continue
            for path in unit.glob("*.jsonl"):
                with path.open("rb") as src:
                    total[path.stem] += sum(chunk.count(b"\n") for chunk in _chunks(src))
        return total

    def compact(self, types: Sequence[str], keys: Sequence[str]) -> dict[str, FileStat]:
        """Write ``<type>.jsonl`` for each type from the units, in ``keys`` order."""
        stats: dict[str, FileStat] = {}
        for kind in types:
            target = self.out_dir / f"{kind}.jsonl"
            tmp = target.with_name(f".{target.name}.part")
            digest = hashlib.sha256()
            lines = size = 0
            with tmp.open("wb") as out:
                for key in keys:
                    part = self._units / key / f"{kind}.jsonl"
                    if not part.is_file():
                        continue
                    with part.open("rb") as src:
                        for chunk in _chunks(src):
                            out.write(chunk)
                            digest.update(chunk)
                            lines += chunk.count(b"\n")
                            size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(target)
            stats[kind] = FileStat(records=lines, bytes=size, sha256=digest.hexdigest())
        fsync_dir(self.out_dir)
        return stats

    def append_run(self, run: dict[str, Any]) -> None:
        """Remember one run's request statistics (for the manifest's totals)."""
        runs = self.runs()
        runs.append(run)
        atomic_write(self.root / "runs.json", dump_json(runs))

    def runs(self) -> list[dict[str, Any]]:
        """Statistics of the earlier runs of this export."""
        path = self.root / "runs.json"
        if not path.is_file():
            return []
        value = json.loads(path.read_bytes())
        return value if isinstance(value, list) else []

    def remove(self) -> None:
        """Delete the checkpoint (the export is complete)."""
        shutil.rmtree(self.root)
        fsync_dir(self.out_dir)


def _chunks(src: IO[bytes]) -> Iterable[bytes]:
    while chunk := src.read(_COPY_CHUNK):
        yield chunk
