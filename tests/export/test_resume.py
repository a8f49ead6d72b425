"""Resuming an export: after a cancel, a full disk or a finish; what a resume refuses."""

from __future__ import annotations

import asyncio
import errno
import random
from pathlib import Path
from typing import Any

import pytest

from taskade_async import RetryPolicy, Session
from taskade_async.export import (
    ExportError,
    Progress,
    _store,
    export,
)
from taskade_async.export._store import STATE_DIR
from tests.export._expect import expected, read_files, read_lines
from tests.export._server import TOKEN, Server
from tests.export._small_disk import SmallDisk


class _StopAfter(Progress):
    """Cancels ``task`` when the ``limit``-th record is exported."""

    def __init__(self, limit: int) -> None:
        super().__init__(bar=False)
        self.limit = limit
        self.task: asyncio.Task[object] | None = None

    def record(self, kind: str) -> None:
        super().record(kind)
        if sum(self.records.values()) == self.limit and self.task is not None:
            self.task.cancel()


@pytest.mark.parametrize("seed", range(6))
async def test_resume_after_cancel_gives_identical_files(
    server: Server, session: Session, tmp_path: Path, seed: int
) -> None:
    """An export cancelled after a random record count, then resumed, is byte-identical."""
    await export(session, tmp_path / "straight", details=True, concurrency=3)
    straight = read_files(tmp_path / "straight")
    total = sum(line.count(b"\n") for line in straight.values())
    rng = random.Random(seed)
    # The second run starts counting afresh and has at least half the records left.
    stops = [rng.randrange(1, total // 2), rng.randrange(1, total // 4)]
    out = tmp_path / "interrupted"
    resume = False
    for stop in stops:
        progress = _StopAfter(stop)
        task = asyncio.ensure_future(
            export(session, out, details=True, concurrency=3, resume=resume, progress=progress)
        )
        progress.task = task
        with pytest.raises(asyncio.CancelledError):
            await task
        resume = True
        assert (out / STATE_DIR).is_dir()
        assert not (out / "manifest.json").exists()
    manifest = await export(session, out, details=True, concurrency=3, resume=True)
    assert read_files(out) == straight
    assert manifest.ok
    assert manifest.runs == 3


async def _interrupted(session: Session, out: Path, stop: int = 30, **options: Any) -> None:
    """Start an export into ``out`` and cancel it after ``stop`` records."""
    progress = _StopAfter(stop)
    task = asyncio.ensure_future(export(session, out, progress=progress, **options))
    progress.task = task
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_resume_refuses_other_options(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """Resuming with other options, or against another server, is refused in the command's words."""
    await _interrupted(session, tmp_path, projects=["p001"])
    with pytest.raises(ExportError) as other:
        await export(session, tmp_path, details=True, resume=True)
    assert str(other.value) == (
        f"{tmp_path}: the interrupted export ran with --project p001, this run with "
        "--details; run --resume with the same options"
    )
    elsewhere_url = "http://127.0.0.1:9/api/v1"
    async with Session("tskdp_x", base_url=elsewhere_url) as elsewhere:
        with pytest.raises(ExportError) as moved:
            await export(elsewhere, tmp_path, projects=["p001"], resume=True)
    assert str(moved.value) == (
        f"{tmp_path}: the interrupted export read {server.base_url}, this run reads "
        f"{elsewhere_url}; run --resume against the same server (--base-url {server.base_url})"
    )


async def test_out_dir_must_be_empty_without_resume(session: Session, tmp_path: Path) -> None:
    """A folder with other files is refused, resume or not; a checkpoint asks for --resume."""
    (tmp_path / "keep.txt").write_text("mine")
    for resume in (False, True):
        with pytest.raises(ExportError, match="not an empty folder, and no export to continue"):
            await export(session, tmp_path, resume=resume)
    await _interrupted(session, tmp_path / "cut")
    with pytest.raises(ExportError, match="holds an interrupted export; continue it with --resume"):
        await export(session, tmp_path / "cut")
    await export(session, tmp_path / "cut", resume=True)
    with pytest.raises(ExportError, match="holds a finished export"):
        await export(session, tmp_path / "cut")


@pytest.mark.parametrize("make", [False, True])
async def test_resume_of_an_absent_or_empty_folder_starts_the_export(
    server: Server, session: Session, tmp_path: Path, make: bool
) -> None:
    """resume=True on an absent or empty folder exports everything, as a first run does."""
    out = tmp_path / "new"
    if make:
        out.mkdir()
    manifest = await export(session, out, resume=True)
    assert manifest.ok
    assert manifest.runs == 1
    for kind, records in expected(server.account).items():
        assert read_lines(out, kind) == records, kind


async def test_resume_of_a_finished_export_sends_nothing(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """Resuming an export that had finished returns its manifest without any request."""
    first = await export(session, tmp_path)
    sent = sum(server.hits.values())
    again = await export(session, tmp_path, resume=True)
    assert sum(server.hits.values()) == sent
    assert again == first


async def test_resume_over_a_broken_manifest_is_refused(session: Session, tmp_path: Path) -> None:
    """A manifest.json that is not an export's stops --resume with an ExportError naming it."""
    for content in (b"[1, 2]", b'{"format": 1}', b"not json"):
        (tmp_path / "manifest.json").write_bytes(content)
        with pytest.raises(ExportError, match=r"manifest\.json is not an export.s manifest"):
            await export(session, tmp_path, resume=True)


@pytest.mark.parametrize("share", [0.3, 0.75, 0.995])
async def test_full_disk_then_resume_after_freeing_space_is_identical(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    """A disk that fills (in the units, the compaction or at the end) stops the export with
    ENOSPC and keeps the checkpoint; once space is freed, resume gives byte-identical files."""
    measure = SmallDisk()
    monkeypatch.setattr(_store, "open_output", measure.open)
    await export(session, tmp_path / "straight", details=True)
    straight = read_files(tmp_path / "straight")
    disk = SmallDisk(int(measure.used * share))
    monkeypatch.setattr(_store, "open_output", disk.open)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space left") as full:
        await export(session, out, details=True, concurrency=3)
    assert full.value.errno == errno.ENOSPC
    assert (out / STATE_DIR).is_dir()
    assert not (out / "manifest.json").exists()
    assert not list(out.glob(".*.part"))  # half-written files would only hold on to space
    disk.size = None  # space is freed
    manifest = await export(session, out, details=True, concurrency=3, resume=True)
    assert manifest.ok
    assert read_files(out) == straight


async def test_source_names_the_account_across_servers(server: Server, tmp_path: Path) -> None:
    """With the same ``source``, an export resumes from another URL serving the same data."""
    retry = RetryPolicy(max_attempts=3, base_backoff=0.01)
    async with Session(TOKEN, base_url=server.base_url, retry=retry) as first:
        progress = _StopAfter(40)
        task = asyncio.ensure_future(export(first, tmp_path, source="acct", progress=progress))
        progress.task = task
        with pytest.raises(asyncio.CancelledError):
            await task
    async with (
        Server(server.account) as twin,
        Session(TOKEN, base_url=twin.base_url, retry=retry) as second,
    ):
        manifest = await export(second, tmp_path, source="acct", resume=True)
    assert manifest.ok
    for kind, records in expected(server.account).items():
        assert read_lines(tmp_path, kind) == records, kind
