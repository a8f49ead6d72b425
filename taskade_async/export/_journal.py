"""The restore's journal: fsynced intents and results, old id -> new id, per target.

``EXPORT_DIR/.taskade-restore/<target>.jsonl`` holds one JSON object a line;
each line is written, flushed and fsynced before the run goes on, so after a
crash, a SIGKILL or a power cut the journal tells what was surely done
(a result), what may have been done (an intent without its result: the
target is read before anything is sent again) and what was not started.
A line cut by a crash is dropped when the journal is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

import attrs

from taskade_async.export._store import fsync_dir

__all__ = ["JOURNAL_DIR", "Journal", "JournalState", "journal_path"]

#: The folder in the export folder that holds the restore journals.
JOURNAL_DIR: Final = ".taskade-restore"


def journal_path(export_dir: Path, base_url: str, folder_id: str) -> Path:
    """Where the journal of a restore of ``export_dir`` into this folder of this server is."""
    key = hashlib.sha256(f"{base_url}\n{folder_id}".encode()).hexdigest()[:16]
    return export_dir / JOURNAL_DIR / f"{key}.jsonl"


@attrs.define(slots=True)
class JournalState:
    """What the journal's lines say, replayed."""

    #: Old project id -> new project id.
    projects: dict[str, str] = attrs.Factory(dict)
    #: Old project id -> the folder's project ids before its create was sent.
    project_intents: dict[str, list[str]] = attrs.Factory(dict)
    #: Old task id -> new task id.
    tasks: dict[str, str] = attrs.Factory(dict)
    #: (old project id, batch number) of a taskCreate sent whose result is not journaled.
    batch_intents: set[tuple[str, int]] = attrs.Factory(set)
    #: (old project id, batch number) of taskCreate calls done.
    batches: set[tuple[str, int]] = attrs.Factory(set)
    #: (kind, old task id) of the details written.
    details: set[tuple[str, str]] = attrs.Factory(set)
    #: Old project id -> the verification's mismatches ([] when it matched).
    verified: dict[str, list[str]] = attrs.Factory(dict)
    #: Figures of the earlier runs (requests, retries, rate_limited, seconds).
    runs: list[dict[str, Any]] = attrs.Factory(list)

    def apply(self, entry: dict[str, Any]) -> None:
        """Replay one journal line."""
        kind = entry.get("t")
        if kind == "project-intent":
            self.project_intents[entry["old"]] = list(entry["before"])
        elif kind == "project":
            self.projects[entry["old"]] = entry["new"]
            self.project_intents.pop(entry["old"], None)
        elif kind == "batch-intent":
            self.batch_intents.add((entry["old"], entry["n"]))
        elif kind == "batch":
            key = (entry["old"], entry["n"])
            self.batches.add(key)
            self.batch_intents.discard(key)
            self.tasks.update(zip(entry["items"], entry["new"], strict=True))
        elif kind == "detail":
            self.details.add((entry["kind"], entry["task"]))
        elif kind == "verified":
            self.verified[entry["old"]] = list(entry["mismatches"])
        elif kind == "run":
            self.runs.append(dict(entry["figures"]))


class Journal:
    """An append-only, fsynced journal (see the module's docstring)."""

    __slots__ = ("_out", "path", "state", "target")

    def __init__(self, path: Path, target: dict[str, Any]) -> None:
        self.path = path
        self.target = target
        self.state = JournalState()
        self._out: IO[bytes] | None = None

    def exists(self) -> bool:
        """Whether a journal for this target is there (an earlier restore ran)."""
        return self.path.is_file()

    def open(self) -> None:
        """Read what is journaled (dropping a line a crash cut), then open it to append."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        if not fresh:
            data = self.path.read_bytes()
            whole = data[: data.rfind(b"\n") + 1]
            if len(whole) != len(data):
                with self.path.open("r+b") as cut:
                    cut.truncate(len(whole))
                    os.fsync(cut.fileno())
            for entry in _entries(whole):
                self.state.apply(entry)
        self._out = self.path.open("ab")
        if fresh:
            self.write({"t": "target", **self.target})
            fsync_dir(self.path.parent)

    def write(self, entry: dict[str, Any]) -> None:
        """Append ``entry`` durably (flushed and fsynced) and apply it to :attr:`state`."""
        out = self._out
        if out is None:
            raise RuntimeError("the journal is not open")
        out.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        out.flush()
        os.fsync(out.fileno())
        self.state.apply(entry)

    def close(self) -> None:
        """Close the file (everything written is already durable)."""
        out, self._out = self._out, None
        if out is not None:
            out.close()


def _entries(data: bytes) -> Iterator[dict[str, Any]]:
    for line in data.splitlines():
        if line:
            value = json.loads(line)
            if isinstance(value, dict):
                yield value
