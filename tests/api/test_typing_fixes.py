"""What users type back into the API type-checks and works: resume points, dates, exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import assert_type

import pytest

import taskade_async as tk
from taskade_async import bulk
from taskade_async.api import me, projects, tasks
from taskade_async.bulk import CreateTasksError
from taskade_async.testing import FakeTaskade
from tests.docs import typecheck


def test_create_tasks_error_is_exported_by_bulk() -> None:
    """``from taskade_async.bulk import CreateTasksError`` is an explicit export (mypy --strict)."""
    assert "CreateTasksError" in bulk.__all__
    assert CreateTasksError is tk.CreateTasksError


async def test_resume_points_pass_back_as_after_and_page(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """exc.resume_from and pager.resume_from go back as after= (str) and page= (int)."""
    ws = taskade_fake.add_workspace("W")
    project = taskade_fake.add_project(ws, "P", task_count=5)
    for n in range(3):
        taskade_fake.add_project(ws, f"Q{n}")
    pager = projects.list_tasks(taskade_session, project.id, limit=2)
    assert_type(pager.resume_from, str | None)
    async for _ in pager.pages():
        break
    rest = projects.list_tasks(taskade_session, project.id, limit=2, after=pager.resume_from)
    assert len(await rest.collect()) == 3
    taskade_fake.fail_next(404, path="/api/v1/projects/*/tasks")
    with pytest.raises(tk.NotFoundError) as caught:
        await projects.list_tasks(taskade_session, project.id, limit=2).collect()
    again = projects.list_tasks(
        taskade_session, project.id, limit=2, after=caught.value.resume_from
    )
    assert len(await again.collect()) == 5
    numbered = me.list_projects(taskade_session, limit=2)
    assert_type(numbered.resume_from, int | None)
    async for _ in numbered.pages():
        break
    later = me.list_projects(taskade_session, limit=2, page=numbered.resume_from or 1)
    assert len(await later.collect()) == 2


async def test_a_date_read_can_be_sent_back(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """set_date(start=d.start, end=d.end) with get_date()'s end=None sets a single date."""
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P", tasks=["a", "b"])
    a, b = (t.id for t in taskade_fake.tasks(project))
    await tasks.set_date(taskade_session, project.id, a, start={"date": "2026-12-24"})
    read = await tasks.get_date(taskade_session, project.id, a)
    assert read is not None
    assert read.end is None
    await tasks.set_date(taskade_session, project.id, b, start=read.start, end=read.end)
    sent = json.loads(taskade_fake.requests[-1].body)
    assert sent == {"start": {"date": "2026-12-24"}}  # None: left out, as the spec allows
    assert await tasks.get_date(taskade_session, project.id, b) == read


def test_each_page_is_one_module_with_its_lines_mapped(tmp_path: Path) -> None:
    """The docs' type check wraps a page's blocks in one coroutine and maps lines back."""
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n\n.. code-block:: python\n\n   x = await f()\n\n"
        ".. invisible-code-block: python\n\n   y: int = x\n",
        encoding="utf-8",
    )
    made = typecheck.module(page)
    assert made is not None
    source, where = made
    lines = source.splitlines()
    assert where[lines.index("    x = await f()")] == 5
    assert where[lines.index("    y: int = x")] == 9
    assert "async def page(fake: FakeTaskade, s: Session" in source


async def test_get_date_of_a_task_without_one_is_none(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """The fake answers 404 for a task with no date (spec-valid); get_date says None."""
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P", tasks=["a"])
    (a,) = (t.id for t in taskade_fake.tasks(project))
    assert await tasks.get_date(taskade_session, project.id, a) is None
    assert taskade_fake.requests[-1].status == 404
    assert await tasks.get_note(taskade_session, project.id, a) is None


async def test_default_page_sizes_are_taskades(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """Without limit=, members come 20 a page, as from Taskade (FACTS.md)."""
    ws = taskade_fake.add_workspace("W")
    project = taskade_fake.add_project(ws, "P")
    for n in range(25):
        taskade_fake.add_member(ws, f"m{n}")
    raw = await taskade_session.request(projects.PROJECT_MEMBERS_GET, (project.id,))
    assert len(raw["items"]) == 20
    assert taskade_fake.requests[-1].query == {}
