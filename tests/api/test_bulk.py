"""create_tasks: any number of tasks, in batches of 20, in order, resumable after a failure."""

from __future__ import annotations

import json
from typing import Any

import pytest

import taskade_async as tk
from taskade_async import CreateTasksError
from taskade_async.bulk import create_tasks
from taskade_async.models import NewTask
from taskade_async.testing import FakeTaskade

from .conftest import Recorder, Reply


def items(count: int, start: int = 0) -> list[NewTask]:
    return [
        NewTask(content_type="text/plain", content=f"task {i}", placement="beforeend")
        for i in range(start, start + count)
    ]


def created(body: dict[str, Any], first: int) -> dict[str, Any]:
    """The server's answer to a taskCreate body: one task per item."""
    made = [{"id": f"t{first + i}", "text": t["content"]} for i, t in enumerate(body["tasks"])]
    return {"ok": True, "item": made}


async def test_45_tasks_go_in_three_ordered_batches(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """45 tasks are sent as 20 + 20 + 5 and land in the project in the order given."""
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    made = await create_tasks(taskade_session, project.id, items(45))
    assert [t.text for t in made] == [f"task {i}" for i in range(45)]
    assert [t.text for t in taskade_fake.tasks(project)] == [f"task {i}" for i in range(45)]
    sizes = [
        len(json.loads(r.body)["tasks"])
        for r in taskade_fake.requests
        if r.operation_id == "taskCreate"
    ]
    assert sizes == [20, 20, 5]


async def test_a_failed_batch_reports_what_exists(recorder: Recorder, session: tk.Session) -> None:
    """A refused second batch raises CreateTasksError carrying the first 20 tasks; resume works."""
    wanted = items(30)
    recorder.reply(created({"tasks": [{"content": t.content} for t in wanted[:20]]}, 0))
    recorder.replies.append(Reply(json={"ok": False, "code": "X", "message": "no"}, status=400))
    with pytest.raises(CreateTasksError) as caught:
        await create_tasks(session, "p1", wanted)
    error = caught.value
    assert [t.id for t in error.created] == [f"t{i}" for i in range(20)]
    assert error.uncertain is False
    assert "20 of 30 tasks created" in str(error)
    assert isinstance(error.__cause__, tk.BadRequestError)

    recorder.reply(created({"tasks": [{"content": t.content} for t in wanted[20:]]}, 20))
    rest = await create_tasks(session, "p1", wanted[len(error.created) :])
    assert [t.text for t in [*error.created, *rest]] == [f"task {i}" for i in range(30)]
    assert [len(r.json()["tasks"]) for r in recorder.requests] == [20, 10, 10]


async def test_a_lost_answer_is_marked_uncertain(recorder: Recorder, session: tk.Session) -> None:
    """A garbled answer means the batch may exist: ``uncertain`` is set."""
    recorder.replies.append(Reply(body=b'{"ok": tr', headers={"Content-Type": "application/json"}))
    with pytest.raises(CreateTasksError) as caught:
        await create_tasks(session, "p1", items(3))
    assert caught.value.created == []
    assert caught.value.uncertain is True


async def test_every_item_is_checked_before_the_first_call(
    recorder: Recorder, session: tk.Session
) -> None:
    """One bad item anywhere raises ValidationError and nothing is sent."""
    batch: list[NewTask | dict[str, Any]] = [*items(30)]
    batch.append({"contentType": "text/plain", "content": "x" * 2001, "placement": "afterend"})
    with pytest.raises(tk.ValidationError, match=r"items\[30\]"):
        await create_tasks(session, "p1", batch)
    with pytest.raises(tk.ValidationError, match="batch_size"):
        await create_tasks(session, "p1", items(2), batch_size=21)
    assert recorder.requests == []


async def test_custom_batch_size_and_empty_input(recorder: Recorder, session: tk.Session) -> None:
    """A smaller batch size splits further; no items sends nothing."""
    wanted = items(5)
    for first in (0, 2, 4):
        chunk = wanted[first : first + 2]
        recorder.reply(created({"tasks": [{"content": t.content} for t in chunk]}, first))
    made = await create_tasks(session, "p1", wanted, batch_size=2)
    assert [t.id for t in made] == ["t0", "t1", "t2", "t3", "t4"]
    assert await create_tasks(session, "p1", []) == []
    assert len(recorder.requests) == 3
