"""``manifest.json``: what an export holds, how it went, and what failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import attrs

from taskade_async.export._records import ItemError
from taskade_async.export._store import FileStat, atomic_write, dump_json

__all__ = ["FORMAT", "Manifest"]

#: Version of the export's file layout; bumped when a file or field changes meaning.
FORMAT: Final = 1


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

    @property
    def ok(self) -> bool:
        """Whether every item was exported."""
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        """Records per type."""
        return {kind: stat.records for kind, stat in self.files.items()}

    def as_json(self) -> dict[str, Any]:
        """The manifest as a JSON object (camelCase keys)."""
        return {
            "format": self.format,
            "version": self.version,
            "python": self.python,
            "aiohttp": self.aiohttp,
            "baseUrl": self.base_url,
            "options": self.options,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "durationSeconds": self.duration_seconds,
            "runs": self.runs,
            "phases": self.phases,
            "units": self.units,
            "counts": self.counts,
            "files": {
                f"{kind}.jsonl": {"records": s.records, "bytes": s.bytes, "sha256": s.sha256}
                for kind, s in self.files.items()
            },
            "requests": self.requests,
            "retries": self.retries,
            "rateLimited": self.rate_limited,
            "errors": [error.as_json() for error in self.errors],
        }

    def save(self, out_dir: Path) -> None:
        """Write ``manifest.json`` atomically."""
        atomic_write(out_dir / "manifest.json", dump_json(self.as_json()))

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        """Read ``out_dir/manifest.json``."""
        raw = json.loads((out_dir / "manifest.json").read_bytes())
        if raw.get("format") != FORMAT:
            raise ValueError(f"unknown manifest format {raw.get('format')!r}")
        return cls(
            format=raw["format"],
            version=raw["version"],
            python=raw["python"],
            aiohttp=raw["aiohttp"],
            base_url=raw["baseUrl"],
            options=raw["options"],
            started_at=raw["startedAt"],
            finished_at=raw["finishedAt"],
            duration_seconds=raw["durationSeconds"],
            runs=raw["runs"],
            phases=raw["phases"],
            units=raw["units"],
            files={
                name.removesuffix(".jsonl"): FileStat(**stat) for name, stat in raw["files"].items()
            },
            requests=raw["requests"],
            retries=raw["retries"],
            rate_limited=raw["rateLimited"],
            errors=[ItemError.from_json(e) for e in raw["errors"]],
        )
