"""Crash-safe storage of an export: staged units, the checkpoint, the final files.

An export is cut into units of work (discovery, one per folder, one per
project). Each unit writes its records, as whole lines tagged with their
type, to its own staging file; when the unit is finished the file is flushed,
fsynced and renamed into ``units/`` in one atomic step. The set of files in
``units/`` is the checkpoint: a unit is either entirely there or not at all,
whatever moment the process is killed at, and resuming redoes exactly the
units that are not there. Once every unit is in, :meth:`ExportState.compact`
routes the units' lines, in the plan's order, into one ``<type>.jsonl`` per
record type (each written under a temporary name, then renamed), so the files
are byte-identical however often the export was interrupted.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Final

import attrs

from taskade_async.export._records import (
    MEDIA_TYPES,
    ItemError,
    Record,
    encode_line,
    encode_lines,
)

__all__ = [
    "STATE_DIR",
    "ExportState",
    "FileStat",
    "UnitWriter",
    "atomic_write",
    "fsync_dir",
    "open_output",
    "unit_lines",
]

#: The folder inside the output folder that holds the checkpoint while an export runs.
STATE_DIR: Final = ".taskade-export"
#: Tags of the staged lines that are not records.
_ERROR: Final = b"!error"
_PLAN: Final = b"!plan"


def open_output(path: Path) -> IO[bytes]:
    """Open ``path`` for writing, truncated: every file of the export is written through here.

    One place for the export's writes, so a test can stand in a small disk.
    """
    return path.open("wb")


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
    try:
        with open_output(tmp) as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    fsync_dir(path.parent)


def dump_json(value: Any) -> bytes:
    """Pretty, stable JSON (sorted keys) for the checkpoint and the manifest."""
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _tagged(tag: bytes, value: Any) -> bytes:
    return tag + b"\t" + json.dumps(value, separators=(",", ":")).encode() + b"\n"


class UnitWriter:
    """Stages the records and errors of one unit; :meth:`commit` publishes them at once."""

    __slots__ = ("_final", "_out", "_plan", "_staging", "counts", "errors")

    def __init__(self, staging: Path, final: Path) -> None:
        self._staging = staging
        self._final = final
        # "wb" truncates whatever an interrupted attempt left: the unit starts afresh.
        self._out: IO[bytes] | None = open_output(staging)
        self._plan: Any = None
        #: Records written, per type.
        self.counts: Counter[str] = Counter()
        self.errors: list[ItemError] = []

    def write(self, record: Record) -> None:
        """Append one record (a whole line, tagged with its type) to the staging file."""
        out = self._out
        if out is None:
            raise RuntimeError("this unit was already committed or discarded")
        out.write(record.type.encode() + b"\t" + encode_line(record))
        self.counts[record.type] += 1

    def write_many(self, records: list[Record]) -> None:
        """Append records (whole lines, tagged with their type) to the staging file."""
        out = self._out
        if out is None:
            raise RuntimeError("this unit was already committed or discarded")
        out.write(encode_lines(records))
        self.counts.update(record.type for record in records)

    def write_line(self, kind: str, line: bytes) -> None:
        """Append one line of ``<kind>.jsonl`` as it is (bytes kept exactly)."""
        out = self._out
        if out is None:
            raise RuntimeError("this unit was already committed or discarded")
        out.write(kind.encode() + b"\t" + line)
        self.counts[kind] += 1

    def error(self, error: ItemError) -> None:
        """Note an item that could not be exported."""
        self.errors.append(error)

    def set_plan(self, plan: Any) -> None:
        """Save ``plan`` (JSON) with the unit, so both are checkpointed together."""
        self._plan = plan

    def commit(self) -> None:
        """Flush, fsync and publish the unit (one rename); afterwards it is checkpointed.

        Blocking: call it in a worker thread from async code.
        """
        out = self._out
        if out is None:
            raise RuntimeError("this unit was already committed or discarded")
        for error in self.errors:
            out.write(_tagged(_ERROR, error.as_json()))
        if self._plan is not None:
            out.write(_tagged(_PLAN, self._plan))
        out.flush()
        os.fsync(out.fileno())
        out.close()
        self._out = None
        # Atomic: the unit appears whole or not at all. Losing the rename itself
        # in a power cut only means the unit is done again on resume.
        self._staging.replace(self._final)

    def abandon(self) -> None:
        """Close the file and leave the staged data as it is (what a crash leaves)."""
        out, self._out = self._out, None
        if out is not None:
            # Closing flushes: on a full disk that fails too, and the data is not wanted.
            with contextlib.suppress(OSError):
                out.close()

    def discard(self) -> None:
        """Drop the staged data (the unit will be redone)."""
        self.abandon()
        self._staging.unlink(missing_ok=True)


@attrs.frozen(slots=True)
class FileStat:
    """One output file: how many records and bytes, and its SHA-256."""

    records: int
    bytes: int
    sha256: str


def unit_lines(path: Path) -> Iterable[tuple[bytes, bytes]]:
    """The (tag, line) pairs of a staged unit file."""
    # One read, then lines split on b"\n" only (as the staged lines end).
    for line in io.BytesIO(path.read_bytes()):
        tag, _, rest = line.partition(b"\t")
        yield tag, rest


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
        fsync_dir(self._units)
        fsync_dir(self.root)
        fsync_dir(self.out_dir)

    def _unit(self, key: str) -> Path:
        return self._units / f"{key}.jsonl"

    def done(self, key: str) -> bool:
        """Whether unit ``key`` is checkpointed."""
        return self._unit(key).is_file()

    def writer(self, key: str) -> UnitWriter:
        """A writer that stages unit ``key`` (dropping what an earlier attempt staged)."""
        return UnitWriter(self._staging / f"{key}.jsonl", self._unit(key))

    def plan(self, key: str) -> Any:
        """The plan saved with the checkpointed unit ``key``, or None."""
        if not self.done(key):
            return None
        for tag, rest in unit_lines(self._unit(key)):
            if tag == _PLAN:
                return json.loads(rest)
        return None

    def compact(
        self, types: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, FileStat], list[ItemError]]:
        """Write ``<type>.jsonl`` for each type from the units, in ``keys`` order.

        Returns the files' figures and the units' errors. Blocking: call it in
        a worker thread from async code.
        """
        tags = {kind.encode(): kind for kind in types}
        tmp = {kind: self.out_dir / f".{kind}.jsonl.part" for kind in types}
        outs: dict[str, IO[bytes]] = {}
        digests = {kind: hashlib.sha256() for kind in types}
        lines: Counter[str] = Counter()
        sizes: Counter[str] = Counter()
        errors: list[ItemError] = []
        try:
            for kind in types:
                outs[kind] = open_output(tmp[kind])
            for key in keys:
                # A unit is small (it was staged whole): route its lines in bulk,
                # one write and one hash update per type and unit, not per line.
                routed: dict[str, list[bytes]] = {}
                for tag, rest in unit_lines(self._unit(key)):
                    found = tags.get(tag)
                    if found is not None:
                        bucket = routed.get(found)
                        if bucket is None:
                            bucket = routed[found] = []
                        bucket.append(rest)
                    elif tag == _ERROR:
                        errors.append(ItemError.from_json(json.loads(rest)))
                    elif tag != _PLAN:
                        raise ValueError(f"unit {key}: a line of unknown type {tag!r}")
                for found, bucket in routed.items():
                    if found in MEDIA_TYPES:
                        # Saved in the order downloads finish: sort them, per unit.
                        bucket.sort()
                    block = b"".join(bucket)
                    outs[found].write(block)
                    digests[found].update(block)
                    lines[found] += len(bucket)
                    sizes[found] += len(block)
            for out in outs.values():
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            # A full disk, say: drop the half-written files, which only take up space.
            for kind, out in outs.items():
                with contextlib.suppress(OSError):
                    out.close()
                tmp[kind].unlink(missing_ok=True)
            raise
        finally:
            for out in outs.values():
                out.close()
        for kind in types:
            tmp[kind].replace(self.out_dir / f"{kind}.jsonl")
        fsync_dir(self.out_dir)
        stats = {
            kind: FileStat(records=lines[kind], bytes=sizes[kind], sha256=digests[kind].hexdigest())
            for kind in types
        }
        return stats, errors

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
