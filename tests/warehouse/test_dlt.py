"""taskade_async.dlt against FakeTaskade, into a real DuckDB file."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from taskade_async import Session, ValidationError
from taskade_async.api import projects, tasks
from taskade_async.dlt import taskade_source
from taskade_async.export import export
from taskade_async.testing import FakeTaskade
from tests.warehouse._account import by_id, export_lines, load_account, tables

DETAILS = ("task_notes", "task_dates", "task_assignees", "task_field_values")


async def test_dataset_equals_the_export(account: FakeTaskade, tmp_path: Path) -> None:
    """Every kind has as many rows as the export has records, with the same ids and fields."""
    async with Session(account.token, base_url=account.base_url) as session:
        await export(session, tmp_path / "export", details=True)
    exported = export_lines(tmp_path / "export")
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    loaded = tables(tmp_path / "taskade.duckdb")
    assert {k: len(v) for k, v in loaded.items()} == {
        k: len(v) for k, v in exported.items() if v and k != "media_files"
    }
    for kind in ("workspaces", "folders", "projects", "fields", "blocks", "tasks", "agents"):
        assert set(by_id(loaded[kind])) == {line["data"]["id"] for line in exported[kind]}
    tasks = by_id(loaded["tasks"])
    for line in exported["tasks"]:
        row = tasks[line["data"]["id"]]
        assert (row["text"], row["completed"], row["project_id"], row["_deleted"]) == (
            line["data"]["text"],
            line["data"]["completed"],
            line["projectId"],
            False,
        )
    notes = {row["task_id"]: row["value"] for row in loaded["task_notes"]}
    assert notes == {line["taskId"]: line["data"]["value"] for line in exported["task_notes"]}
    # Every parent column exists, even one null in every row (agents of workspaces).
    agents = {(row["id"], row["workspace_id"], row["folder_id"]) for row in loaded["agents"]}
    assert agents == {(a["data"]["id"], a["workspaceId"], None) for a in exported["agents"]}
    members = {(row["project_id"], row["handle"]) for row in loaded["members"]}
    assert members == {(line["projectId"], line["data"]["handle"]) for line in exported["members"]}


async def test_a_load_sends_the_requests_an_export_sends(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """The source walks as the exporter does: the same requests, none twice."""
    async with Session(account.token, base_url=account.base_url) as session:
        await export(session, tmp_path / "export", details=True)
        exported = session.stats.requests
    before = len(account.requests)
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    sent = [(r.method, r.path, tuple(sorted(r.query.items()))) for r in account.requests[before:]]
    assert len(sent) == exported
    assert [call for call, n in Counter(sent).items() if n > 1] == []


async def test_details_can_be_chosen_per_kind(account: FakeTaskade, tmp_path: Path) -> None:
    """``details=["task_notes"]`` asks only for notes, and loads only that detail table."""
    before = len(account.requests)
    await asyncio.to_thread(load_account, account, tmp_path, details=["task_notes"])
    loaded = tables(tmp_path / "taskade.duckdb")
    assert "task_notes" in loaded
    assert not set(DETAILS[1:]) & set(loaded)
    operations = {r.operation_id for r in account.requests[before:]}
    assert tasks.TASK_NOTE_GET.operation_id in operations
    others = (tasks.TASK_GET_DATE, tasks.TASK_ASSIGNEES_GET, tasks.TASK_FIELDS_VALUE_GET)
    assert not {op.operation_id for op in others} & operations


async def test_a_second_load_merges_and_marks_deleted_tasks(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """Added tasks are added, edited ones updated, deleted ones kept with _deleted true."""
    await asyncio.to_thread(load_account, account, tmp_path)
    first = by_id(tables(tmp_path / "taskade.duckdb")["tasks"])
    project = account.projects[4]
    tasks = account.tasks(project)
    edited, doomed = tasks[0], tasks[3]
    edited.text = "Edited text"
    gone = {t.id for t in project.tree.remove(doomed)}
    added = account.add_task(project, "A new task")
    await asyncio.to_thread(load_account, account, tmp_path)
    rows = tables(tmp_path / "taskade.duckdb")["tasks"]
    second = by_id(rows)
    assert len(rows) == len(second) == len(first) + 1
    assert second[edited.id]["text"] == "Edited text"
    assert second[added.id]["text"] == "A new task"
    assert gone
    assert {tid for tid, row in second.items() if row["_deleted"]} == gone
    assert all(second[tid]["project_id"] == project.id for tid in gone)
    await asyncio.to_thread(load_account, account, tmp_path)
    assert tables(tmp_path / "taskade.duckdb")["tasks"] == rows


@pytest.mark.parametrize("n", [3, 5])
async def test_shards_together_equal_one_full_load(
    account: FakeTaskade, tmp_path: Path, n: int
) -> None:
    """Shards 0..n-1 load each record once: their dataset is a full load's (3 workspaces)."""
    await asyncio.to_thread(load_account, account, tmp_path / "full", details=True)
    before = len(account.requests)
    for i in range(n):
        await asyncio.to_thread(load_account, account, tmp_path / "shards", shard=(i, n))
    sharded = tables(tmp_path / "shards" / "taskade.duckdb")
    assert sharded == {
        k: v for k, v in tables(tmp_path / "full" / "taskade.duckdb").items() if k not in DETAILS
    }
    project_reads = Counter(
        r.path
        for r in account.requests[before:]
        if r.operation_id == projects.PROJECT_GET.operation_id
    )
    assert len(project_reads) == len(account.projects)
    assert set(project_reads.values()) == {1}


def test_bad_arguments_fail_before_any_request() -> None:
    """A bad shard, detail kind or concurrency is a ValidationError when the source is made."""
    with pytest.raises(ValidationError, match="shard"):
        taskade_source("t", shard=(3, 3))
    with pytest.raises(ValidationError, match="detail kinds"):
        taskade_source("t", details=["task_notes", "comments"])
    with pytest.raises(ValidationError, match="concurrency"):
        taskade_source("t", concurrency=0)
