"""``verify_export(export_dir)``: check a backup without the network.

Every file the manifest lists is checked against it (size, SHA-256, and for
``<type>.jsonl`` the record count and that each line is a well-formed
record); a ``.jsonl`` file the manifest does not list, a media file that
``media_files.jsonl`` names but the manifest does not, and an unfinished
checkpoint are problems too. Each problem is named in words.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs

from taskade_async.export._manifest import MANIFEST, Manifest
from taskade_async.export._records import PARENT_KEYS, RECORD_TYPES
from taskade_async.export._store import STATE_DIR

__all__ = ["VerifyReport", "verify_export"]

_CHUNK: Final = 1 << 20
_KEYS: Final = frozenset(PARENT_KEYS)
#: Problems named per file at most (a file damaged throughout is not listed line by line).
_PER_FILE: Final = 5


@attrs.frozen(slots=True)
class VerifyReport:
    """What :func:`verify_export` found: ``problems`` (empty when the backup is intact)."""

    export_dir: Path
    problems: list[str]
    #: The manifest, when it could be read.
    manifest: Manifest | None
    #: Files checked (record files and media files).
    files: int

    @property
    def ok(self) -> bool:
        """Whether the backup is intact (every file as the manifest says)."""
        return not self.problems


def verify_export(export_dir: str | os.PathLike[str]) -> VerifyReport:
    """Check the export in ``export_dir`` against its manifest, offline; return a report.

    Blocking (it reads every file): from async code, run it in a thread. It
    never raises for a damaged export: each problem is in ``report.problems``.
    Items the export could not fetch (``manifest.errors``) do not make it
    damaged; they make it incomplete, which ``manifest.ok`` tells.
    """
    out = Path(export_dir)
    problems: list[str] = []
    if not out.is_dir():
        return VerifyReport(out, [f"{out}: no such folder"], None, 0)
    if (out / STATE_DIR).exists():
        problems.append(f"{STATE_DIR}/: an unfinished export's checkpoint (run it with --resume)")
    try:
        manifest = Manifest.load(out)
    except FileNotFoundError:
        return VerifyReport(out, [*problems, f"{MANIFEST}: missing"], None, 0)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        problems.append(f"{MANIFEST}: not an export's manifest ({exc})")
        return VerifyReport(out, problems, None, 0)
    checked = 0
    for kind, stat in manifest.files.items():
        name = f"{kind}.jsonl"
        checked += 1
        if kind not in RECORD_TYPES:
            problems.append(f"{name}: not a record type of this version")
        found = _scan(out / name, records=True)
        if found is None:
            problems.append(f"{name}: missing")
            continue
        size, digest, lines, bad = found
        problems.extend(_differences(name, size, digest, stat.bytes, stat.sha256))
        if lines != stat.records:
            problems.append(f"{name}: {lines} records, the manifest says {stat.records}")
        problems.extend(f"{name}: {problem}" for problem in bad)
    for path in sorted(out.glob("*.jsonl")):
        if path.name.removesuffix(".jsonl") not in manifest.files:
            problems.append(f"{path.name}: not listed in the manifest")
    for name, media in manifest.media.items():
        checked += 1
        found = _scan(out / name, records=False) if _inside(name) else None
        if found is None:
            problems.append(f"{name}: missing")
            continue
        size, digest, _, _ = found
        problems.extend(_differences(name, size, digest, media.bytes, media.sha256))
    if "media_files" in manifest.files:
        for name in _media_paths(out / "media_files.jsonl"):
            if name not in manifest.media:
                problems.append(f"{name}: listed in media_files.jsonl, not in the manifest")
    return VerifyReport(out, problems, manifest, checked)


def _differences(name: str, size: int, digest: str, size_said: int, digest_said: str) -> list[str]:
    """How a file's size and SHA-256 differ from what the manifest says."""
    found = []
    if size != size_said:
        found.append(f"{name}: {size} bytes, the manifest says {size_said}")
    if digest != digest_said:
        found.append(f"{name}: SHA-256 differs from the manifest's")
    return found


def _inside(name: str) -> bool:
    """Whether the manifest's path ``name`` stays inside the export folder."""
    return not Path(name).is_absolute() and ".." not in Path(name).parts


def _scan(path: Path, *, records: bool) -> tuple[int, str, int, list[str]] | None:
    """Size, SHA-256, lines and the malformed lines' problems of a file; None if absent."""
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    size = lines = 0
    bad: list[str] = []
    tail = b""
    with path.open("rb") as data:
        while chunk := data.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if not records:
                continue
            *complete, tail = (tail + chunk).split(b"\n")
            for line in complete:
                lines += 1
                _check_line(line, lines, bad)
    if records and tail:
        lines += 1
        bad.append(f"line {lines}: no newline at the end of the file")
        _check_line(tail, lines, bad)
    if len(bad) > _PER_FILE:
        bad[_PER_FILE:] = [f"... and {len(bad) - _PER_FILE} more malformed lines"]
    return size, digest.hexdigest(), lines, bad


def _check_line(line: bytes, number: int, bad: list[str]) -> None:
    if len(bad) > _PER_FILE:  # enough named; count the rest only
        bad.append("")
        return
    try:
        value: Any = json.loads(line)
    except ValueError:
        bad.append(f"line {number}: not JSON")
        return
    if not isinstance(value, dict) or "data" not in value:
        bad.append(f'line {number}: not a record (an object with "data")')
        return
    unknown = set(value) - _KEYS - {"data"}
    if unknown:
        bad.append(f"line {number}: unknown keys {sorted(unknown)}")
    elif not all(v is None or isinstance(v, str) for k, v in value.items() if k != "data"):
        bad.append(f"line {number}: a parent id that is not a string")


def _media_paths(path: Path) -> Iterator[str]:
    if not path.is_file():
        return
    for line in path.read_bytes().splitlines():
        try:
            data = json.loads(line).get("data")
        except (ValueError, AttributeError):
            continue  # named by the record check
        if isinstance(data, dict) and isinstance(data.get("path"), str):
            yield data["path"]
