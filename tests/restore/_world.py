"""Two accounts for restore tests: a source fake to export, a target fake to restore into."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from taskade_async import RetryPolicy, Session
from taskade_async.export import export
from taskade_async.testing import FakeTaskade

RETRY = RetryPolicy(max_attempts=4, base_backoff=0.01, max_backoff=0.05)


def fill_source(fake: FakeTaskade) -> None:
    """A workspace with two members, a folder and three projects (one empty).

    The tricky cases: siblings with identical texts, a text of exactly 2,000
    characters, non-ASCII text, 50 levels of nesting, notes, dates,
    assignees, completion, and a custom field value.
    """
    ws = fake.add_workspace("Source", workspace_id="ws-src")
    fake.add_member(ws, "alice")
    fake.add_member(ws, "bob")
    folder = fake.add_folder(ws, "Work", folder_id="f-src")
    plan = fake.add_project(folder, "Plan ✓ ünïcödé", project_id="p-plan")
    top = fake.add_task(plan, "Same", note="first same", completed=True)
    fake.add_task(plan, "Same", note="second same")
    fake.add_task(plan, "Same")
    for i in range(3):
        child = fake.add_task(plan, f"child {i} — 日本語", parent=top, assignees=["alice", "bob"])
        day = {"start": {"date": f"2026-01-0{i + 1}"}}
        fake.add_task(plan, "Same", parent=child, date=day)
    fake.add_task(plan, "x" * 2000)
    deep = fake.add_project(folder, "Deep", project_id="p-deep")
    parent = None
    for level in range(50):
        parent = fake.add_task(deep, f"level {level}", parent=parent, completed=level % 2 == 0)
    fake.add_project(folder, "Empty", project_id="p-empty")
    many = fake.add_project(folder, "Many", project_id="p-many", task_count=130, seed=3)
    field = fake.add_field(many, {"type": "number"})
    fake.tasks(many)[0].field_values[field.id] = 5


async def export_source(fake: FakeTaskade, out: Path) -> None:
    """Export the whole source account with details."""
    async with Session(fake.token, base_url=fake.base_url, retry=RETRY) as session:
        manifest = await export(session, out, details=True)
    assert manifest.ok, manifest.errors


def target_account(fake: FakeTaskade, members: Sequence[str] = ("alice",)) -> str:
    """A workspace with ``members`` and an empty folder; returns the folder's id."""
    ws = fake.add_workspace("Target")
    for handle in members:
        fake.add_member(ws, handle)
    return fake.add_folder(ws, "Restored").id


def shape(fake: FakeTaskade, project: Any) -> list[tuple[int, str, bool]]:
    """(depth, text, completed) of each task of ``project`` in document order."""
    out = []
    for task in fake.tasks(project):
        depth, up = 0, task.parent
        while up is not None:
            depth, up = depth + 1, up.parent
        out.append((depth, task.text, task.completed))
    return out


def details(fake: FakeTaskade, project: Any) -> list[tuple[Any, ...]]:
    """(note, date, assignees) of each task of ``project`` in document order."""
    return [
        (task.note["value"] if task.note else None, task.date, tuple(task.assignees))
        for task in fake.tasks(project)
    ]


def by_name(fake: FakeTaskade, folder_id: str) -> dict[str, Any]:
    """The projects of a folder by name."""
    return {p.name: p for p in fake.projects if p.space_id == folder_id}


def same_as_source(src: FakeTaskade, target: FakeTaskade, folder_id: str) -> None:
    """The folder holds exactly one copy of each source project, trees equal (no duplicate)."""
    made = [p for p in target.projects if p.space_id == folder_id]
    assert sorted(p.name for p in made) == sorted(p.name for p in src.projects)
    copies = by_name(target, folder_id)
    for project in src.projects:
        assert shape(target, copies[project.name]) == shape(src, project), project.name
