"""``export --shard I/N`` and ``taskade-async merge``: shard exports into one verified export."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from taskade_async import Session
from taskade_async.export import Manifest, export, verify_export
from taskade_async.export._merge import MergeError, merge
from taskade_async.testing import FakeTaskade
from tests._cli import run

SHARDS = 3


def _media(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("media/*/*/*"))


async def _exports(
    fake: FakeTaskade, root: Path, n: int = SHARDS, *, details: bool = False, media: bool = False
) -> list[Path]:
    """The full export in ``root/full`` and shards 0..n-1 in ``root/s<i>``."""
    async with Session(fake.token, base_url=fake.base_url) as session:
        await export(session, root / "full", details=details, media=media)
        for i in range(n):
            await export(session, root / f"s{i}", shard=(i, n), details=details, media=media)
    return [root / f"s{i}" for i in range(n)]


def _check_manifest(folder: Path) -> dict[str, object]:
    """The manifest, after checking every file it lists against its size, hash and lines."""
    raw: dict[str, object] = json.loads((folder / "manifest.json").read_bytes())
    Manifest.load(folder)
    assert verify_export(folder).problems == []  # what `taskade-async verify` checks
    files = raw["files"]
    assert isinstance(files, dict)
    for name, stat in files.items():
        data = (folder / name).read_bytes()
        assert stat["bytes"] == len(data)
        assert stat["sha256"] == hashlib.sha256(data).hexdigest()
        if name.endswith(".jsonl"):
            assert stat["records"] == data.count(b"\n")
    return raw


@pytest.mark.parametrize("n", [2, 3, 5])
async def test_merged_shards_hold_each_record_of_a_full_export_once(
    account: FakeTaskade, tmp_path: Path, n: int
) -> None:
    """Shards 0..n-1 merged: a full export's lines, each once, and a true manifest."""
    shards = await _exports(account, tmp_path, n, details=True)
    result = await run("merge", str(tmp_path / "merged"), *map(str, reversed(shards)))
    assert result.code == 0, result.stderr
    merged = _check_manifest(tmp_path / "merged")
    full = json.loads((tmp_path / "full" / "manifest.json").read_bytes())
    assert merged["counts"] == full["counts"]
    assert merged["options"] == full["options"]
    assert sorted(merged) == sorted(full)
    for name in full["files"]:
        lines = (tmp_path / "merged" / name).read_bytes().splitlines()
        assert sorted(lines) == sorted((tmp_path / "full" / name).read_bytes().splitlines())
        assert len(set(lines)) == len(lines)


async def test_each_shard_reads_only_its_projects(account: FakeTaskade, tmp_path: Path) -> None:
    """No project is read by two shards: together they send one project read per project."""
    before = len(account.requests)
    await _exports(account, tmp_path)
    reads = [r.path for r in account.requests[before:] if r.operation_id == "projectGet"]
    assert sorted(reads) == sorted(2 * [f"/api/v1/projects/{p.id}" for p in account.projects])


async def test_media_files_are_merged(account: FakeTaskade, tmp_path: Path) -> None:
    """Each shard's downloaded media files land once in the merged folder."""
    shards = await _exports(account, tmp_path, media=True)
    merge(tmp_path / "merged", shards)
    full = sorted(
        p.relative_to(tmp_path / "full") for p in (tmp_path / "full").rglob("media/*/*/*")
    )
    got = sorted(
        p.relative_to(tmp_path / "merged") for p in (tmp_path / "merged").rglob("media/*/*/*")
    )
    assert full
    assert got == full
    _check_manifest(tmp_path / "merged")


async def test_merge_refuses_what_is_not_one_whole_split(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """A missing or repeated shard, other options, a plain export: exit 2, nothing written."""
    shards = await _exports(account, tmp_path)
    async with Session(account.token, base_url=account.base_url) as session:
        await export(session, tmp_path / "d1", shard=(1, SHARDS), details=True)
    cases = {
        "missing [2]": [shards[0], shards[1]],
        "twice [1]": [shards[0], shards[1], shards[1]],
        "other options": [shards[0], tmp_path / "d1", shards[2]],
        "not a shard": [shards[0], tmp_path / "full", shards[2]],
    }
    for reason, folders in cases.items():
        result = await run("merge", str(tmp_path / "out"), *map(str, folders))
        assert result.code == 2, reason
        assert reason in result.stderr
        assert not (tmp_path / "out").exists()
    with pytest.raises(MergeError, match="not an empty folder"):
        merge(tmp_path / "full", shards)


async def test_merge_refuses_an_unfinished_shard(account: FakeTaskade, tmp_path: Path) -> None:
    """A shard whose export was interrupted (its checkpoint still there) is not merged."""
    shards = await _exports(account, tmp_path)
    await asyncio.to_thread(shutil.rmtree, shards[1])
    (shards[1] / ".taskade-export").mkdir(parents=True)
    with pytest.raises(MergeError, match="unfinished"):
        merge(tmp_path / "out", shards)
