"""The exporter end to end against the loopback server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from taskade_async import Session, TaskadeError, ValidationError
from taskade_async.export import (
    ItemError,
    Record,
    export,
    iter_records,
)
from taskade_async.export._store import STATE_DIR
from tests.export._expect import expected, read_files, read_lines
from tests.export._server import Server


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


async def test_iter_records_raises_a_fatal_failure(server: Server, session: Session) -> None:
    """When the workspaces cannot be listed, the consumer of iter_records gets the error."""
    from taskade_async import ForbiddenError

    server.faults["/workspaces"] = 403
    with pytest.raises(ForbiddenError):
        async for _ in iter_records(session):
            pass
