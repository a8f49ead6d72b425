"""The exporter end to end against the loopback server."""

from __future__ import annotations

import asyncio
import errno
import json
import random
from pathlib import Path
from typing import Any

import pytest

from taskade_async import RetryPolicy, Session, TaskadeError, ValidationError
from taskade_async.export import (
    ExportError,
    ItemError,
    Progress,
    Record,
    _store,
    export,
    iter_records,
)
from taskade_async.export._store import STATE_DIR
from tests.export._expect import expected, read_files, read_lines
from tests.export._server import TOKEN, Server
from tests.export._small_disk import SmallDisk


async def test_full_export_matches_the_account_record_by_record(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """Every record type holds exactly the server's objects with their parent ids, in order."""
    manifest = await export(session, tmp_path / "out", concurrency=4)
    out = tmp_path / "out"
    want = expected(server.account)
    for kind, records in want.items():
        assert read_lines(out, kind) == records, kind
    assert manifest.ok
    assert manifest.counts == {kind: len(v) for kind, v in want.items()}
    assert manifest.requests == sum(server.hits.values())
    assert not (out / STATE_DIR).exists()
    saved = json.loads((out / "manifest.json").read_bytes())
    assert saved["counts"]["tasks"] == len(want["tasks"])
    assert saved["files"]["tasks.jsonl"]["records"] == len(want["tasks"])


async def test_details_export_notes_dates_assignees_and_field_values(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """With details, each task's note, date, assignees and field values are exported."""
    manifest = await export(session, tmp_path / "out", details=True)
    want = expected(server.account, details=True)
    for kind in ("task_notes", "task_dates", "task_assignees", "task_field_values", "tasks"):
        assert read_lines(tmp_path / "out", kind) == want[kind], kind
    assert manifest.ok  # a task without a date (404) is not an error


async def test_media_files_are_downloaded(server: Server, session: Session, tmp_path: Path) -> None:
    """With media, every media file is saved and described in media_files.jsonl."""
    out = tmp_path / "out"
    manifest = await export(session, out, media=True)
    files = read_lines(out, "media_files")
    assert len(files) == len(server.account.files) == manifest.counts["media_files"]
    for line in files:
        assert (out / line["data"]["path"]).read_bytes() == server.account.files[line["mediaId"]]
        assert line["data"]["bytes"] == len(server.account.files[line["mediaId"]])


async def test_duplicate_and_unfiled_projects(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """Listed twice: exported once; in a workspace's own space: null folder; me-only: null both."""
    await export(session, tmp_path / "out")
    projects = read_lines(tmp_path / "out", "projects")
    ids = [p["data"]["id"] for p in projects]
    assert len(ids) == len(set(ids)) == len(server.account.projects)
    unfiled = [p for p in projects if p["workspaceId"] is None]
    assert [p["data"]["id"] for p in unfiled] == ["shared1", "shared2"]
    assert all(p["folderId"] is None for p in unfiled)
    [own] = [p for p in projects if p["workspaceId"] is not None and p["folderId"] is None]
    assert (own["workspaceId"], own["data"]["id"]) == ("ws1", "wsproj")


@pytest.mark.parametrize("status", [403, 404])
async def test_forbidden_or_missing_project_is_recorded_and_skipped(
    server: Server, session: Session, tmp_path: Path, status: int
) -> None:
    """A project answering 403/404 is listed in the manifest; the rest is exported."""
    server.faults["/projects/p002"] = status
    manifest = await export(session, tmp_path / "out")
    assert not manifest.ok
    [error] = manifest.errors
    assert (error.what, error.id, error.status) == ("project", "p002", status)
    assert error.parents == {"workspaceId": "ws0", "folderId": "ws0-f0"}
    ids = {p["data"]["id"] for p in read_lines(tmp_path / "out", "projects")}
    assert ids == set(server.account.projects) - {"p002"}
    tasks = read_lines(tmp_path / "out", "tasks")
    assert not [t for t in tasks if t["projectId"] == "p002"]
    saved = json.loads((tmp_path / "out" / "manifest.json").read_bytes())
    assert saved["errors"][0]["status"] == status


async def test_failed_list_is_recorded_and_other_lists_go_on(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """A list that fails (members 403) is an error; the project's other lists are exported."""
    server.faults["/projects/p001/members"] = 403
    manifest = await export(session, tmp_path / "out")
    [error] = manifest.errors
    assert (error.what, error.id, error.operation) == ("members", "p001", "projectMembersGet")
    assert not [m for m in read_lines(tmp_path / "out", "members") if m["projectId"] == "p001"]
    assert [t for t in read_lines(tmp_path / "out", "tasks") if t["projectId"] == "p001"]


async def test_429_storm_is_survived(server: Server, session: Session, tmp_path: Path) -> None:
    """Forty 429 answers (every third request) are waited out; the export is complete."""
    server.rate_limited = 40
    server.rate_limit_every = 3
    server.retry_after = "0.01"
    manifest = await export(session, tmp_path / "out", concurrency=4)
    assert manifest.ok
    assert server.answered_429 == 40
    assert manifest.rate_limited == 40
    assert manifest.retries >= 40
    for kind, records in expected(server.account).items():
        assert read_lines(tmp_path / "out", kind) == records, kind


async def test_filters_select_workspace_folder_and_project(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """--workspace/--folder/--project narrow the export to the subtree and its ancestors."""
    await export(session, tmp_path / "w", workspaces=["ws1"])
    assert {w["data"]["id"] for w in read_lines(tmp_path / "w", "workspaces")} == {"ws1"}
    projects = read_lines(tmp_path / "w", "projects")
    assert {p["workspaceId"] for p in projects} == {"ws1"}  # and no unfiled projects
    await export(session, tmp_path / "f", folders=["ws0-f1"])
    assert [f["data"]["id"] for f in read_lines(tmp_path / "f", "folders")] == ["ws0-f1"]
    assert {a["folderId"] for a in read_lines(tmp_path / "f", "agents")} == {"ws0-f1"}
    await export(session, tmp_path / "p", projects=["p005", "shared2"])
    assert [p["data"]["id"] for p in read_lines(tmp_path / "p", "projects")] == ["p005", "shared2"]
    assert [f["data"]["id"] for f in read_lines(tmp_path / "p", "folders")] == ["ws0-f1"]
    assert read_lines(tmp_path / "p", "agents") == []  # folder contents only without --project
    assert {t["projectId"] for t in read_lines(tmp_path / "p", "tasks")} == {"p005", "shared2"}


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


async def test_bad_arguments_raise_validation_error(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """Bad arguments raise ValidationError before a request; ExportError is a TaskadeError."""
    bad: list[dict[str, Any]] = [
        {"concurrency": 0},
        {"concurrency": True},
        {"workspaces": "ws0"},
        {"folders": [""]},
        {"projects": ["p\n1"]},
        {"projects": [7]},
        {"details": "yes"},
        {"media": 1},
        {"source": "  "},
    ]
    for options in bad:
        with pytest.raises(ValidationError):
            await export(session, tmp_path / "out", **options)
    with pytest.raises(ValidationError, match="out_dir"):
        await export(session, 5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="one string"):
        async for _ in iter_records(session, projects="p001"):
            pass
    assert sum(server.hits.values()) == 0
    assert not (tmp_path / "out").exists()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(TaskadeError):  # the README's promise: every error is a TaskadeError
        await export(session, tmp_path / "busy")


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


async def test_iter_records_streams_what_export_writes(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """iter_records yields the same records as the export files (order may interleave)."""
    await export(session, tmp_path, details=True)
    from_files = sorted(
        json.dumps({"type": name.removesuffix(".jsonl"), **json.loads(line)}, sort_keys=True)
        for name, content in read_files(tmp_path).items()
        for line in content.splitlines()
    )
    streamed = sorted(
        [
            json.dumps({"type": r.type, **r.parents, "data": r.data}, sort_keys=True)
            async for r in iter_records(session, details=True, concurrency=5)
        ]
    )
    assert streamed == from_files


async def test_iter_records_reports_errors_and_stops_early(
    server: Server, session: Session
) -> None:
    """Errors go to the errors list; leaving the loop early stops the walk cleanly."""
    server.faults["/projects/p003"] = 404
    errors: list[ItemError] = []
    seen: list[Record] = []
    async for record in iter_records(session, errors=errors):
        seen.append(record)
    assert [e.id for e in errors] == ["p003"]
    first: list[Record] = []
    async for record in iter_records(session):
        first.append(record)
        if len(first) == 5:
            break
    assert len(first) == 5
    assert len(seen) > 5


async def test_fatal_failure_keeps_the_checkpoint(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """When even the workspaces cannot be listed, the error is raised and nothing is written."""
    server.faults["/workspaces"] = 403
    from taskade_async import ForbiddenError

    with pytest.raises(ForbiddenError):
        await export(session, tmp_path)
    assert read_files(tmp_path) == {}
    server.faults.clear()
    manifest = await export(session, tmp_path, resume=True)
    assert manifest.ok


async def test_filter_ids_that_match_nothing_are_errors(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """A --workspace/--folder/--project id that nothing lists is reported, not ignored."""
    manifest = await export(
        session, tmp_path, workspaces=["ws0", "nope"], folders=["ws0-f0", "gone"]
    )
    assert [(e.what, e.id) for e in manifest.errors] == [("workspace", "nope"), ("folder", "gone")]
    manifest = await export(session, tmp_path / "p", projects=["p001", "missing"])
    assert [(e.what, e.id) for e in manifest.errors] == [("project", "missing")]
    assert [p["data"]["id"] for p in read_lines(tmp_path / "p", "projects")] == ["p001"]


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


async def test_iter_records_raises_a_fatal_failure(server: Server, session: Session) -> None:
    """When the workspaces cannot be listed, the consumer of iter_records gets the error."""
    from taskade_async import ForbiddenError

    server.faults["/workspaces"] = 403
    with pytest.raises(ForbiddenError):
        async for _ in iter_records(session):
            pass


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
