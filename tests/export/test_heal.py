"""An honest ``--resume`` of a finished export: checked against the run, failed items healed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from taskade_async import Session
from taskade_async.export import ExportError, export
from taskade_async.export._store import STATE_DIR
from tests._cli import run as _run
from tests.export._expect import read_files
from tests.export._server import TOKEN, Server


def _snapshot(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``out``: its modification time (ns) and bytes."""
    return {
        str(p.relative_to(out)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    ("first", "then", "words"),
    [
        ({}, {"details": True}, "with no --details, --media or filter, this run with --details"),
        ({"details": True}, {}, "ran with --details, this run with no --details"),
        ({}, {"media": True}, "this run with --media"),
        ({"projects": ["p001"]}, {"projects": ["p002"]}, "ran with --project p001"),
    ],
)
async def test_resume_of_a_finished_export_with_other_options_is_refused(
    server: Server,
    session: Session,
    tmp_path: Path,
    first: dict[str, Any],
    then: dict[str, Any],
    words: str,
) -> None:
    """--resume on a finished export with other options raises, sends nothing, rewrites nothing."""
    await export(session, tmp_path, **first)
    before, sent = _snapshot(tmp_path), sum(server.hits.values())
    with pytest.raises(ExportError, match="the finished export") as refused:
        await export(session, tmp_path, resume=True, **then)
    assert words in str(refused.value)
    assert _snapshot(tmp_path) == before
    assert sum(server.hits.values()) == sent


async def test_resume_of_a_finished_export_against_another_server_is_refused(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """--resume of a finished export read from another server raises and rewrites nothing."""
    await export(session, tmp_path)
    before = _snapshot(tmp_path)
    async with Server(server.account) as twin, Session(TOKEN, base_url=twin.base_url) as other:
        with pytest.raises(ExportError) as moved:
            await export(other, tmp_path, resume=True)
        assert sum(twin.hits.values()) == 0
    assert f"the finished export read {server.base_url}, this run reads {twin.base_url}" in str(
        moved.value
    )
    assert _snapshot(tmp_path) == before


async def test_resume_fetches_the_failed_project_again_and_only_it(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """A finished export with a failed project: --resume fetches that project's unit alone
    and ends byte-identical to a clean export, with the runs' figures added up."""
    await export(session, tmp_path / "clean", details=True)
    clean = read_files(tmp_path / "clean")
    out = tmp_path / "out"
    server.faults["/projects/p004"] = 403
    first = await export(session, out, details=True)
    assert [(e.what, e.id) for e in first.errors] == [("project", "p004")]
    assert first.plan is not None
    del server.faults["/projects/p004"]
    server.hits.clear()
    healed = await export(session, out, details=True, resume=True)
    assert healed.ok
    assert healed.plan is None
    assert read_files(out) == clean
    assert {path.split("/")[2] for path in server.hits} == {"p004"}
    assert healed.runs == 2
    assert healed.requests == first.requests + sum(server.hits.values())
    assert not (out / STATE_DIR).exists()


async def test_resume_fetches_failed_task_details_again(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """Failed task details are fetched again, only they (one request each), and each new
    record lands in its task's place: the files equal a clean export's."""
    await export(session, tmp_path / "clean", details=True)
    clean = read_files(tmp_path / "clean")
    out = tmp_path / "out"
    server.faults["/projects/p002/tasks/p002-t0003/note"] = 500
    server.faults["/projects/p005/tasks/p005-t0000/date"] = 403
    first = await export(session, out, details=True)
    assert sorted((e.what, e.parents.get("projectId")) for e in first.errors) == [
        ("task_dates", "p005"),
        ("task_notes", "p002"),
    ]
    server.faults.clear()
    server.hits.clear()
    healed = await export(session, out, details=True, resume=True)
    assert healed.ok
    assert read_files(out) == clean
    assert dict(server.hits) == {
        "/projects/p002/tasks/p002-t0003/note": 1,
        "/projects/p005/tasks/p005-t0000/date": 1,
    }


@pytest.mark.parametrize("still_failing", [False, True])
async def test_resume_patches_list_details_in_their_task_place(
    server: Server, session: Session, tmp_path: Path, still_failing: bool
) -> None:
    """Failed assignees and field values of tasks mid-project are fetched alone; a detail
    that fails again stays listed with nothing else fetched, and the rest is unchanged."""
    await export(session, tmp_path / "clean", details=True)
    clean = read_files(tmp_path / "clean")
    out = tmp_path / "out"
    failing = {
        "/projects/p003/tasks/p003-t0004/assignees": 403,
        "/projects/p003/tasks/p003-t0001/fields": 403,
    }
    server.faults.update(failing)
    first = await export(session, out, details=True)
    assert len(first.errors) == 2
    if not still_failing:
        server.faults.clear()
    server.hits.clear()
    healed = await export(session, out, details=True, resume=True)
    assert dict(server.hits) == dict.fromkeys(failing, 1)
    if still_failing:
        assert sorted(e.what for e in healed.errors) == ["task_assignees", "task_field_values"]
        assert (out / "tasks.jsonl").read_bytes() == clean["tasks.jsonl"]
    else:
        assert healed.ok
        assert read_files(out) == clean


async def test_resume_with_items_still_failing_keeps_them_listed(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """When the failed item fails again, --resume lists it again (no good backup is claimed)."""
    server.faults["/projects/p004"] = 404
    await export(session, tmp_path)
    server.hits.clear()
    again = await export(session, tmp_path, resume=True)
    assert [(e.what, e.id) for e in again.errors] == [("project", "p004")]
    assert {path.split("/")[2] for path in server.hits} == {"p004"}


async def test_resume_after_a_failed_discovery_list_exports_everything_again(
    server: Server, session: Session, tmp_path: Path
) -> None:
    """A folder list that failed in discovery makes --resume redo the export, completing it."""
    await export(session, tmp_path / "clean")
    clean = read_files(tmp_path / "clean")
    out = tmp_path / "out"
    server.faults["/workspaces/ws1/folders"] = 500
    first = await export(session, out)
    assert [e.what for e in first.errors] == ["folders"]
    server.faults.clear()
    healed = await export(session, out, resume=True)
    assert healed.ok
    assert read_files(out) == clean


async def test_media_files_are_in_the_manifest_with_sha256_and_size(
    session: Session, tmp_path: Path
) -> None:
    """With media, the manifest's files map each media file's path to its size and SHA-256."""
    await export(session, tmp_path, media=True)
    files = json.loads((tmp_path / "manifest.json").read_bytes())["files"]
    media = {path: stat for path, stat in files.items() if path.startswith("media/")}
    on_disk = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "media").rglob("*.txt"))
    assert sorted(media) == on_disk
    assert len(on_disk) == 10
    for path, stat in media.items():
        data = (tmp_path / path).read_bytes()
        assert stat == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


async def test_cli_resume_exit_status_is_honest(server: Server, tmp_path: Path) -> None:
    """The command: 1 with failed items, then --resume fetches them and exits 0; --resume
    with --details on the finished export exits 2 and never says 'Nothing to do'."""
    args = ("export", str(tmp_path), "--base-url", server.base_url, "--quiet")
    server.faults["/projects/p003"] = 403
    failed = await _run(*args, TASKADE_TOKEN=TOKEN)
    assert failed.code == 1, failed.stderr
    still = await _run(*args, "--resume", TASKADE_TOKEN=TOKEN)
    assert still.code == 1, still.stderr
    server.faults.clear()
    healed = await _run(*args, "--resume", TASKADE_TOKEN=TOKEN)
    assert healed.code == 0, healed.stderr
    other = await _run(*args[:-1], "--resume", "--details", TASKADE_TOKEN=TOKEN)
    assert other.code == 2
    assert "Nothing to do" not in other.stdout
    assert "the finished export ran with no --details" in other.stderr
