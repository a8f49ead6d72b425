"""``restore()``: an export rebuilt in another account, exactly, with what it skips reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from taskade_async import Session
from taskade_async.export import ExportError, restore
from taskade_async.testing import FakeTaskade
from taskade_async.testing._server import RecordedRequest
from tests.restore._world import (
    RETRY,
    by_name,
    details,
    same_as_source,
    shape,
    target_account,
)


async def test_restore_into_another_account_rebuilds_every_project(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """Every project comes back with the same tree (texts, order, nesting, completion) and
    details; non-member assignees and field values are skipped and reported, none written."""
    src, out = source
    folder = target_account(target, members=("alice",))
    async with Session(target.token, base_url=target.base_url, retry=RETRY) as session:
        report = await restore(session, out, folder_id=folder)
    assert report.ok, (report.errors, report.mismatches)
    made = by_name(target, folder)
    for project in src.projects:
        copy = made[project.name]
        assert shape(target, copy) == shape(src, project)
        want = [
            (note, date, tuple(h for h in people if h == "alice"))
            for note, date, people in details(src, project)
        ]
        assert details(target, copy) == want
    assert report.skipped["task_assignees"] == {
        "count": 3,
        "reason": "not a member of the new project",
    }
    assert report.skipped["task_field_values"]["count"] == 1
    assert not any((r.operation_id or "").startswith("taskField") for r in _writes(target))
    saved = json.loads((out / "restore.json").read_bytes())
    assert saved["complete"] is True
    assert saved["restored"]["tasks"] == sum(len(src.tasks(p)) for p in src.projects)


def _writes(fake: FakeTaskade) -> list[RecordedRequest]:
    """The requests that could change the account."""
    return [r for r in fake.requests if r.method != "GET"]


async def _session_restore(fake: FakeTaskade, out: Path, folder: str, **options: Any) -> Any:
    async with Session(fake.token, base_url=fake.base_url, retry=RETRY) as session:
        return await restore(session, out, folder_id=folder, **options)


async def test_a_damaged_export_is_refused_before_any_request(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """One byte changed in the export: restore raises naming the damage and sends nothing."""
    _, out = source
    folder = target_account(target)
    tasks_file = out / "tasks.jsonl"
    data = bytearray(tasks_file.read_bytes())
    data[data.index(b"level 1") + 1] ^= 0x01
    tasks_file.write_bytes(bytes(data))
    sent = len(target.requests)
    with pytest.raises(ExportError, match=r"the export is damaged, nothing was sent \(tasks"):
        await _session_restore(target, out, folder)
    assert len(target.requests) == sent
    assert not (out / "restore.json").exists()


async def test_dry_run_sends_nothing_and_counts_the_requests(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """A dry run sends no request; its plan counts the taskCreate calls a real run sends."""
    _, out = source
    folder = target_account(target)
    sent = len(target.requests)
    dry = await _session_restore(target, out, folder, dry_run=True)
    assert len(target.requests) == sent
    assert dry.plan is not None
    report = await _session_restore(target, out, folder)
    assert report.ok
    creates = [r for r in target.requests if r.operation_id == "taskCreate"]
    assert len(creates) == dry.plan.requests["taskCreate"]
    assert all(len(json.loads(r.body)["tasks"]) <= 20 for r in creates)
    projects = [r for r in target.requests if r.operation_id == "projectCreate"]
    assert len(projects) == dry.plan.requests["projectCreate"] == 4


async def test_a_second_plain_restore_into_the_same_folder_is_refused(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """Without resume, a restore where a journal for the same target exists sends nothing;
    with resume, a finished restore only verifies again and writes nothing new."""
    src, out = source
    folder = target_account(target)
    first = await _session_restore(target, out, folder)
    assert first.ok
    sent = len(target.requests)
    with pytest.raises(ExportError, match="already ran"):
        await _session_restore(target, out, folder)
    assert len(target.requests) == sent
    again = await _session_restore(target, out, folder, resume=True)
    assert again.ok
    assert all(r.method == "GET" for r in target.requests[sent:])
    same_as_source(src, target, folder)
    assert again.runs == 2


async def test_selected_projects_into_a_workspace(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """--project picks exported projects; a workspace as the folder gets them directly."""
    src, out = source
    workspace = target.add_workspace("Root").id
    report = await _session_restore(target, out, workspace, projects=["p-deep", "p-empty"])
    assert report.ok
    made = by_name(target, workspace)
    assert sorted(made) == ["Deep", "Empty"]
    assert shape(target, made["Deep"]) == shape(src, src.project("p-deep"))
    assert shape(target, made["Empty"]) == []
    with pytest.raises(ExportError, match="no exported project nope"):
        await _session_restore(target, out, workspace, projects=["nope"], resume=True)


async def test_a_missing_folder_is_refused_and_leaves_no_journal(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """A folder id the account does not have: refused before any write, with no journal,
    so the same command with the right folder then runs without --resume."""
    _, out = source
    with pytest.raises(ExportError, match="no folder or workspace nowhere"):
        await _session_restore(target, out, "nowhere")
    assert not any(r.method != "GET" for r in target.requests)
    assert not list((out / ".taskade-restore").glob("*.jsonl"))
    report = await _session_restore(target, out, target_account(target))
    assert report.ok
