"""Records that vanished since the last load are marked ``_deleted``, and only those."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from taskade_async.dlt import PRIMARY_KEYS
from taskade_async.export._shard import shard_of
from taskade_async.testing import FakeTaskade
from tests.warehouse._account import load_account, tables

Key = tuple[str, tuple[Any, ...]]


def _key(kind: str, row: dict[str, Any]) -> tuple[Any, ...]:
    pk = PRIMARY_KEYS[kind]
    return tuple(row[c] for c in ((pk,) if isinstance(pk, str) else pk))


def _deleted(path: Path) -> set[Key]:
    """Every row marked deleted, as (kind, primary key)."""
    return {
        (kind, _key(kind, row))
        for kind, rows in tables(path).items()
        for row in rows
        if row["_deleted"]
    }


def _rows(path: Path) -> set[Key]:
    return {(kind, _key(kind, row)) for kind, rows in tables(path).items() for row in rows}


def _of(loaded: dict[str, list[dict[str, Any]]], column: str, value: str) -> set[Key]:
    """The keys of every row whose ``column`` is ``value``."""
    return {
        (kind, _key(kind, row))
        for kind, rows in loaded.items()
        for row in rows
        if row.get(column) == value
    }


async def test_vanished_projects_notes_and_tasks_are_marked_and_nothing_else(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """After a project, a note and a task with details vanish, exactly their rows are deleted."""
    db = tmp_path / "taskade.duckdb"
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    first = tables(db)
    assert not _deleted(db)
    doomed = account.projects[1]
    del account.state.projects[doomed.id]
    noted = next(t for t in account.tasks(account.projects[3]) if t.note)
    noted.note = None
    other = account.projects[5]
    task = next(t for t in account.tasks(other) if t.note and t.date and t.assignees)
    removed = {t.id for t in other.tree.remove(task)}
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    expected = {("projects", (doomed.id,))} | _of(first, "project_id", doomed.id)
    expected.add(("task_notes", (noted.id,)))
    for tid in removed:
        expected |= _of(first, "task_id", tid) | _of(first, "id", tid)
    assert ("task_assignees", (task.id, task.assignees[0])) in expected
    assert {kind for kind, _ in expected} >= {"fields", "blocks", "members", "task_dates"}
    assert _deleted(db) == expected
    assert _rows(db) >= {(kind, _key(kind, r)) for kind, rs in first.items() for r in rs}
    # A third load with nothing changed marks nothing more and brings nothing back.
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    assert _deleted(db) == expected


async def test_what_could_not_be_read_is_not_marked(account: FakeTaskade, tmp_path: Path) -> None:
    """A project answering 403, a failed note and a failed folder list mark nothing deleted."""
    db = tmp_path / "taskade.duckdb"
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    denied = account.projects[2]
    account.tasks(denied)[0].text = "edited"
    vanished = {t.id for t in denied.tree.remove(account.tasks(denied)[3])}
    account.fail_next(403, times=50, method="GET", path=f"/api/v1/projects/{denied.id}")
    noted_in = account.projects[4]
    noted = next(t for t in account.tasks(noted_in) if t.note)
    noted.note = None
    note_path = f"/api/v1/projects/{noted_in.id}/tasks/{noted.id}/note"
    account.fail_next(403, times=50, method="GET", path=note_path)
    unlisted = account.projects[7]
    del account.state.projects[unlisted.id]
    folder_path = f"/api/v1/folders/{unlisted.space_id}/projects"
    account.fail_next(403, times=50, method="GET", path=folder_path)
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    assert _deleted(db) == set()
    # Once they can be read again, the next load marks what did vanish.
    account.clear_faults()
    await asyncio.to_thread(load_account, account, tmp_path, details=True)
    marked = _deleted(db)
    assert ("task_notes", (noted.id,)) in marked
    assert ("projects", (unlisted.id,)) in marked
    assert {("tasks", (tid,)) for tid in vanished} <= marked


async def test_a_shard_marks_only_its_own_records(account: FakeTaskade, tmp_path: Path) -> None:
    """A project deleted in shard j is marked by shard j's load, never by the others'."""
    n = 5  # more shards than workspaces: projects are placed one by one
    for i in range(n):
        await asyncio.to_thread(load_account, account, tmp_path, shard=(i, n))
    db = tmp_path / "taskade.duckdb"
    doomed = account.projects[4]
    owner = shard_of(doomed.id, n)
    before = tables(db)
    del account.state.projects[doomed.id]
    for i in range(n):
        if i != owner:
            await asyncio.to_thread(load_account, account, tmp_path, shard=(i, n))
    assert _deleted(db) == set()
    await asyncio.to_thread(load_account, account, tmp_path, shard=(owner, n))
    assert _deleted(db) == {("projects", (doomed.id,))} | _of(before, "project_id", doomed.id)


async def test_records_moved_to_another_shard_are_not_marked(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """When a new workspace changes how shards split the account, no shard marks a move."""
    n = 4  # 3 workspaces: split by project; a 4th workspace: split by workspace
    for i in range(n):
        await asyncio.to_thread(load_account, account, tmp_path, shard=(i, n))
    db = tmp_path / "taskade.duckdb"
    before = _rows(db)
    added = account.add_workspace("Workspace 3")
    for i in range(n):
        await asyncio.to_thread(load_account, account, tmp_path, shard=(i, n))
    assert _deleted(db) == set()
    assert _rows(db) - before == {("workspaces", (added.id,))}
