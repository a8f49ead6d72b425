"""Merge the exports of shards 0..N-1 (``export --shard I/N``) into one export.

The merged folder is an export like any other: one ``<type>.jsonl`` per record
type, each shard's records in shard order, the media files, and a
``manifest.json`` in the exporter's format (per-file SHA-256, size and record
count, the shards' errors, requests and runs added up), so ``verify`` checks it
as it checks an export. Nothing is written unless every shard is a complete
export of the same options and the shards are exactly 0..N-1 of one N.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from taskade_async.export._manifest import Manifest
from taskade_async.export._records import RECORD_TYPES
from taskade_async.export._store import STATE_DIR, atomic_write, dump_json, fsync_dir

__all__ = ["MergeError", "merge"]

#: The record types whose lines are checked for overlap (few lines, each one object).
_CHECKED: Final = ("workspaces", "folders", "projects")
_CHUNK: Final = 1 << 20


class MergeError(ValueError):
    """The shards cannot be merged (named with the reason); nothing was written."""


def _manifest(folder: Path) -> dict[str, Any]:
    if (folder / STATE_DIR).exists():
        raise MergeError(f"{folder}: an unfinished export (finish it with export --resume)")
    try:
        raw: dict[str, Any] = json.loads((folder / "manifest.json").read_bytes())
        Manifest.load(folder)  # the exporter's own reading: same format, all fields
    except FileNotFoundError:
        raise MergeError(f"{folder}: no manifest.json (not a finished export)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MergeError(f"{folder}: manifest.json is not an export's ({exc})") from exc
    return raw


def _check(folders: Sequence[Path], manifests: Sequence[dict[str, Any]]) -> list[int]:
    """The shards' order (by index); MergeError unless they are exactly 0..N-1 of one run."""
    shards = []
    for folder, raw in zip(folders, manifests, strict=True):
        shard = raw["options"].get("shard")
        if shard is None:
            raise MergeError(f"{folder}: not a shard's export (no --shard)")
        shards.append((shard[0], shard[1]))
    counts = {n for _, n in shards}
    if len(counts) != 1:
        raise MergeError(f"the shards are of different splits: {sorted(counts)}")
    n = counts.pop()
    found = sorted(i for i, _ in shards)
    if found != list(range(n)):
        missing = sorted(set(range(n)) - set(found))
        twice = sorted({i for i in found if found.count(i) > 1})
        raise MergeError(f"shards of {n} needed once each: missing {missing}, twice {twice}")

    def options(raw: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in raw["options"].items() if k != "shard"}

    first = options(manifests[0])
    for folder, raw in zip(folders, manifests, strict=True):
        if options(raw) != first:
            raise MergeError(f"{folder}: exported with other options than {folders[0]}")
    return sorted(range(len(folders)), key=lambda k: shards[k][0])


def _copy_lines(sources: Sequence[Path], target: Path, seen: set[bytes] | None) -> dict[str, Any]:
    """Concatenate ``sources`` into ``target``; its size, SHA-256 and line count."""
    digest = hashlib.sha256()
    size = lines = 0
    with target.open("wb") as out:
        for source in sources:
            if not source.is_file():
                continue
            with source.open("rb") as src:
                for line in src:
                    if seen is not None:
                        if line in seen:
                            raise MergeError(f"the shards overlap: {line[:200]!r} in two shards")
                        seen.add(line)
                    out.write(line)
                    digest.update(line)
                    size += len(line)
                    lines += 1
        out.flush()
        os.fsync(out.fileno())
    return {"records": lines, "bytes": size, "sha256": digest.hexdigest()}


def _copy_media(folder: Path, target: Path) -> None:
    media = folder / "media"
    if not media.is_dir():
        return
    for path in sorted(media.rglob("*")):
        if path.is_file():
            dest = target / path.relative_to(folder)
            if dest.exists():
                raise MergeError(f"the shards overlap: {path.relative_to(folder)} in two shards")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def merge(
    out_dir: str | os.PathLike[str], shard_dirs: Sequence[str | os.PathLike[str]]
) -> Manifest:
    """Merge the shard exports ``shard_dirs`` into ``out_dir`` (absent or empty); its manifest.

    Raises :class:`MergeError` (nothing written) when a folder is not a
    finished shard export, the shards are not exactly 0..N-1 of one N, their
    options or server differ, or two shards hold the same workspace, folder,
    project or media file.
    """
    out = Path(out_dir)
    folders = [Path(d) for d in shard_dirs]
    if not folders:
        raise MergeError("no shard folder given")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MergeError(f"{out}: not an empty folder")
    manifests = [_manifest(folder) for folder in folders]
    order = _check(folders, manifests)
    folders = [folders[k] for k in order]
    manifests = [manifests[k] for k in order]

    work = out.parent / f".{out.name}.merging"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        names = [
            f"{kind}.jsonl"
            for kind in RECORD_TYPES
            if any(f"{kind}.jsonl" in raw["files"] for raw in manifests)
        ]
        files: dict[str, Any] = {}
        for name in names:
            seen: set[bytes] | None = set() if name[: -len(".jsonl")] in _CHECKED else None
            files[name] = _copy_lines([f / name for f in folders], work / name, seen)
        for folder, raw in zip(folders, manifests, strict=True):
            _copy_media(folder, work)
            # Entries that are not record files (media files, when listed) stay as they were.
            files.update({k: v for k, v in raw["files"].items() if not k.endswith(".jsonl")})
        merged = _merged_manifest(manifests, files)
        atomic_write(work / "manifest.json", dump_json(merged))
        fsync_dir(work)
        if out.exists():
            out.rmdir()
        work.replace(out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Manifest.load(out)


def _merged_manifest(manifests: Sequence[dict[str, Any]], files: dict[str, Any]) -> dict[str, Any]:
    """The first shard's manifest, with the files, counts and figures of all of them."""
    merged = dict(manifests[0])
    merged["options"] = {k: v for k, v in merged["options"].items() if k != "shard"}
    merged["files"] = files
    merged["counts"] = {
        name.removesuffix(".jsonl"): stat["records"]
        for name, stat in files.items()
        if name.endswith(".jsonl")
    }
    for key in ("requests", "retries", "rateLimited", "units", "runs"):
        merged[key] = sum(int(raw[key]) for raw in manifests)
    merged["startedAt"] = min(raw["startedAt"] for raw in manifests)
    merged["finishedAt"] = max(raw["finishedAt"] for raw in manifests)
    # The shards ran side by side: the merged export took as long as the longest.
    merged["durationSeconds"] = max(float(raw["durationSeconds"]) for raw in manifests)
    merged["phases"] = {
        phase: max(float(raw["phases"].get(phase, 0)) for raw in manifests)
        for phase in manifests[0]["phases"]
    }
    errors: list[Any] = []
    for raw in manifests:
        errors.extend(error for error in raw["errors"] if error not in errors)
    merged["errors"] = errors
    # The units to fetch again (with errors): a shard keeps the keys of the whole
    # account's discovery, so the shards' plans join without a clash.
    plans = [unit for raw in manifests for unit in raw.get("plan") or ()]
    merged.pop("plan", None)
    if plans:
        merged["plan"] = plans
    return merged
