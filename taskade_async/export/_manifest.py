"""``manifest.json``: what an export holds, how it went, and what failed.

This module is the one description of the manifest's format (``FORMAT``):

- ``files`` maps each file's path, relative to the export folder, to its
  figures: ``<type>.jsonl`` to ``{"records", "bytes", "sha256"}``, and each
  media file (``media/<space>/<media>/<name>``, with ``--media``) to
  ``{"bytes", "sha256"}``.
- ``counts``: records per type (the ``records`` of the ``.jsonl`` files).
- ``options`` (``details``, ``media``, ``selection``) and ``source`` (the
  server, or ``demo``, or the ``source=`` given): what a ``--resume`` must
  match.
- ``errors``: every item that could not be exported; with errors, ``plan``
  lists the units of work in walk order, so that a ``--resume`` fetches
  again exactly the units that hold the failed items.
- ``runs``, ``requests``, ``retries``, ``rateLimited``, ``durationSeconds``:
  totals over every run of the export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import attrs

from taskade_async.export._records import ItemError
from taskade_async.export._store import FileStat, atomic_write, dump_json

__all__ = ["FORMAT", "MANIFEST", "Manifest", "MediaStat", "is_table"]

#: Version of the export's file layout; bumped when a file or field changes meaning.
FORMAT: Final = 1
#: The manifest's file name in the export folder.
MANIFEST: Final = "manifest.json"


@attrs.frozen(slots=True)
class MediaStat:
    """One downloaded media file: its size in bytes and its SHA-256."""

    bytes: int
    sha256: str


def is_table(path: str) -> bool:
    """Whether a ``files`` key names a record file (``<type>.jsonl``), not a media file."""
    return "/" not in path and path.endswith(".jsonl")


@attrs.frozen(slots=True, kw_only=True)
class Manifest:
    """The summary of a finished export, as saved in ``manifest.json``.

    ``requests``, ``retries`` and ``rate_limited`` add up every run of the
    export (a resumed export has several); a run killed without a chance to
    save its figures is not counted. ``phases`` are the seconds the last run
    spent in discovery, units and compaction.
    """

    format: int = FORMAT
    version: str
    python: str
    aiohttp: str
    base_url: str
    options: dict[str, Any]
    started_at: str
    finished_at: str
    duration_seconds: float
    runs: int
    phases: dict[str, float]
    units: int
    files: dict[str, FileStat]
    requests: int
    retries: int
    rate_limited: int
    errors: list[ItemError]
    #: The account the export read: the base URL, ``demo``, or ``export(source=...)``.
    source: str | None = None
    #: Media files by path relative to the export folder.
    media: dict[str, MediaStat] = attrs.Factory(dict)
    #: The units of work in walk order (kept only when some items failed).
    plan: list[dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        """Whether every item was exported."""
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        """Records per type."""
        return {kind: stat.records for kind, stat in self.files.items()}

    @property
    def origin(self) -> str:
        """The account this export read (``source``, else the base URL)."""
        return self.source if self.source is not None else self.base_url

    def as_json(self) -> dict[str, Any]:
        """The manifest as a JSON object (camelCase keys)."""
        files: dict[str, Any] = {
            f"{kind}.jsonl": {"records": s.records, "bytes": s.bytes, "sha256": s.sha256}
            for kind, s in self.files.items()
        }
        files.update(
            (path, {"bytes": m.bytes, "sha256": m.sha256}) for path, m in sorted(self.media.items())
        )
        out: dict[str, Any] = {
            "format": self.format,
            "version": self.version,
            "python": self.python,
            "aiohttp": self.aiohttp,
            "baseUrl": self.base_url,
            "source": self.origin,
            "options": self.options,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "durationSeconds": self.duration_seconds,
            "runs": self.runs,
            "phases": self.phases,
            "units": self.units,
            "counts": self.counts,
            "files": files,
            "requests": self.requests,
            "retries": self.retries,
            "rateLimited": self.rate_limited,
            "errors": [error.as_json() for error in self.errors],
        }
        if self.plan is not None:
            out["plan"] = self.plan
        return out

    def save(self, out_dir: Path) -> None:
        """Write ``manifest.json`` atomically."""
        atomic_write(out_dir / MANIFEST, dump_json(self.as_json()))

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        """Read ``out_dir/manifest.json``."""
        return cls.from_json(json.loads((out_dir / MANIFEST).read_bytes()))

    @classmethod
    def from_json(cls, raw: Any) -> Manifest:
        """The manifest :meth:`as_json` wrote (ValueError, KeyError, TypeError if not one)."""
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        if raw.get("format") != FORMAT:
            raise ValueError(f"unknown manifest format {raw.get('format')!r}")
        files = raw["files"]
        if not isinstance(files, dict):
            raise ValueError("files is not an object")
        plan = raw.get("plan")
        if plan is not None and not isinstance(plan, list):
            raise ValueError("plan is not a list")
        return cls(
            format=raw["format"],
            version=raw["version"],
            python=raw["python"],
            aiohttp=raw["aiohttp"],
            base_url=raw["baseUrl"],
            source=raw.get("source"),
            options=raw["options"],
            started_at=raw["startedAt"],
            finished_at=raw["finishedAt"],
            duration_seconds=raw["durationSeconds"],
            runs=raw["runs"],
            phases=raw["phases"],
            units=raw["units"],
            files={
                name.removesuffix(".jsonl"): FileStat(**stat)
                for name, stat in files.items()
                if is_table(name)
            },
            media={name: MediaStat(**stat) for name, stat in files.items() if not is_table(name)},
            requests=raw["requests"],
            retries=raw["retries"],
            rate_limited=raw["rateLimited"],
            errors=[ItemError.from_json(e) for e in raw["errors"]],
            plan=plan,
        )
