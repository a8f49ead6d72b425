"""Tasks through real HTTP: the tree operations and what hangs on a task."""

from __future__ import annotations

from typing import Any

import pytest

from taskade_async.testing import FakeProject, FakeTaskade

from .conftest import Api


def _project(fake: FakeTaskade) -> FakeProject:
    ws = fake.add_workspace("Acme")
    fake.add_member(ws, "ada", "Ada Lovelace")
    fake.add_member(ws, "grace", "Grace Hopper")
    return fake.add_project(ws, "Plan", tasks=[("A", ["A1", "A2"]), "B"])


def _texts(fake: FakeTaskade, project: FakeProject) -> list[str]:
    return [task.text for task in fake.tasks(project)]


def _item(text: str, placement: str, task_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"contentType": "text/plain", "content": text, "placement": placement}
    if task_id is not None:
        item["taskId"] = task_id
    return item


async def test_task_get(api: Api, taskade_fake: FakeTaskade) -> None:
    """taskGet returns the task with its parentId; a top-level task has none."""
    project = _project(taskade_fake)
    a, a1 = taskade_fake.tasks(project)[:2]
    body = await api.ok("GET", f"/projects/{project.id}/tasks/{a1.id}")
    assert body["item"] == {"id": a1.id, "text": "A1", "parentId": a.id, "completed": False}
    body = await api.ok("GET", f"/projects/{project.id}/tasks/{a.id}")
    assert "parentId" not in body["item"]
    await api.error("GET", f"/projects/{project.id}/tasks/nope", 404)


@pytest.mark.parametrize(
    ("placement", "expected", "parent"),
    [
        ("beforebegin", ["X", "A", "A1", "A2", "B"], None),
        ("afterbegin", ["A", "X", "A1", "A2", "B"], "A"),
        ("beforeend", ["A", "A1", "A2", "X", "B"], "A"),
        ("afterend", ["A", "A1", "A2", "X", "B"], None),
    ],
)
async def test_task_create_placements(
    api: Api, taskade_fake: FakeTaskade, placement: str, expected: list[str], parent: str | None
) -> None:
    """taskCreate places each new task relative to taskId as insertAdjacentElement would."""
    project = _project(taskade_fake)
    a = taskade_fake.tasks(project)[0]
    body = await api.ok(
        "POST", f"/projects/{project.id}/tasks/", json={"tasks": [_item("X", placement, a.id)]}
    )
    (created,) = body["item"]
    new = taskade_fake.task(project, created["id"])
    assert created["text"] == "X"
    assert created.get("parentId") == (a.id if parent else None)
    assert (new.parent.text if new.parent else None) == parent
    assert _texts(taskade_fake, project) == expected


async def test_task_create_at_root_and_many(api: Api, taskade_fake: FakeTaskade) -> None:
    """Without taskId (or with null) tasks go first or last at the root; up to 20 per call."""
    project = _project(taskade_fake)
    body = await api.ok(
        "POST",
        f"/projects/{project.id}/tasks/",
        json={
            "tasks": [
                _item("First", "afterbegin"),
                {**_item("Last", "beforeend"), "taskId": None},
                *(_item(f"n{i}", "beforeend") for i in range(18)),
            ]
        },
    )
    assert len(body["item"]) == 20
    texts = _texts(taskade_fake, project)
    assert texts[0] == "First"
    assert texts[5:7] == ["Last", "n0"]
    assert texts[-1] == "n17"


async def test_task_create_refuses_bad_input(api: Api, taskade_fake: FakeTaskade) -> None:
    """Root placements other than afterbegin/beforeend, 21 items, long content: 400, no change."""
    project = _project(taskade_fake)
    path = f"/projects/{project.id}/tasks/"
    before = _texts(taskade_fake, project)
    await api.error("POST", path, 400, json={"tasks": [_item("X", "afterend")]})
    await api.error("POST", path, 400, json={"tasks": [_item("X", "beforeend")] * 21})
    await api.error("POST", path, 400, json={"tasks": [_item("x" * 2001, "beforeend")]})
    await api.error("POST", path, 400, json={"tasks": [_item("X", "inside")]})
    await api.error("POST", path, 400, json={"tasks": [{"content": "X", "placement": "beforeend"}]})
    await api.error(
        "POST", path, 400, json={"tasks": [{**_item("X", "beforeend"), "color": "red"}]}
    )
    await api.error(
        "POST", path, 404, json={"tasks": [_item("ok", "beforeend"), _item("X", "afterend", "no")]}
    )
    assert _texts(taskade_fake, project) == before


async def test_task_put_complete_uncomplete(api: Api, taskade_fake: FakeTaskade) -> None:
    """taskPut renames a task; taskComplete and taskUncomplete set its completion."""
    project = _project(taskade_fake)
    b = taskade_fake.tasks(project)[-1]
    body = await api.ok(
        "PUT",
        f"/projects/{project.id}/tasks/{b.id}",
        json={"contentType": "text/markdown", "content": "**B**"},
    )
    assert body["item"] == {"id": b.id, "text": "**B**", "completed": False}
    body = await api.ok("POST", f"/projects/{project.id}/tasks/{b.id}/complete")
    assert body["item"]["completed"] is True
    assert b.completed
    body = await api.ok("POST", f"/projects/{project.id}/tasks/{b.id}/uncomplete")
    assert body["item"]["completed"] is False
    await api.error(
        "PUT",
        f"/projects/{project.id}/tasks/{b.id}",
        400,
        json={"contentType": "text/plain", "content": "two\nlines"},
    )


async def test_task_delete_removes_the_subtree(api: Api, taskade_fake: FakeTaskade) -> None:
    """taskDelete removes the task and its descendants."""
    project = _project(taskade_fake)
    a, a1 = taskade_fake.tasks(project)[:2]
    assert await api.ok("DELETE", f"/projects/{project.id}/tasks/{a.id}") == {"ok": True}
    assert _texts(taskade_fake, project) == ["B"]
    await api.error("GET", f"/projects/{project.id}/tasks/{a1.id}", 404)
    await api.error("DELETE", f"/projects/{project.id}/tasks/{a.id}", 404)


async def test_task_move(api: Api, taskade_fake: FakeTaskade) -> None:
    """taskMove moves a task with its subtree; into its own subtree is a 400."""
    project = _project(taskade_fake)
    a, a1, _, b = taskade_fake.tasks(project)
    path = f"/projects/{project.id}/tasks/{a.id}/move"
    body = await api.ok("PUT", path, json={"target": {"taskId": b.id, "position": "afterend"}})
    assert body["item"]["id"] == a.id
    assert _texts(taskade_fake, project) == ["B", "A", "A1", "A2"]
    await api.ok("PUT", path, json={"target": {"taskId": b.id, "position": "afterbegin"}})
    assert _texts(taskade_fake, project) == ["B", "A", "A1", "A2"]
    assert a.parent is b
    await api.error("PUT", path, 400, json={"target": {"taskId": a1.id, "position": "beforeend"}})
    await api.error("PUT", path, 400, json={"target": {"taskId": a.id, "position": "afterend"}})
    await api.error("PUT", path, 404, json={"target": {"taskId": "gone", "position": "afterend"}})
    await api.error("PUT", path, 400, json={"target": {"taskId": b.id}})


async def test_task_assignees(api: Api, taskade_fake: FakeTaskade) -> None:
    """Assignees are set from member handles, listed, and removed one by one."""
    project = _project(taskade_fake)
    b = taskade_fake.tasks(project)[-1]
    base = f"/projects/{project.id}/tasks/{b.id}/assignees"
    body = await api.ok("PUT", base, json={"handles": ["ada", "grace"]})
    assert body["item"]["id"] == b.id
    listed = await api.ok("GET", base)
    assert listed["items"] == [
        {"handle": "ada", "displayName": "Ada Lovelace"},
        {"handle": "grace", "displayName": "Grace Hopper"},
    ]
    await api.ok("DELETE", f"{base}/ada")
    assert b.assignees == ["grace"]
    await api.error("DELETE", f"{base}/ada", 404)
    await api.error("PUT", base, 400, json={"handles": ["stranger"]})
    await api.error("PUT", base, 400, json={"handles": "ada"})


async def test_task_date(api: Api, taskade_fake: FakeTaskade) -> None:
    """No date is a 404 (the spec has no null item); a date is set, read, deleted; bad ones 400."""
    project = _project(taskade_fake)
    b = taskade_fake.tasks(project)[-1]
    base = f"/projects/{project.id}/tasks/{b.id}/date"
    body = await api.error("GET", base, 404)
    assert body["code"] == "NOT_FOUND"
    start = {"date": "2026-07-21", "time": "09:00", "timezone": "Europe/Berlin"}
    end = {"date": "2026-07-22"}
    await api.ok("PUT", base, json={"start": start, "end": end})
    assert (await api.ok("GET", base))["item"] == {"start": start, "end": end}
    await api.error("PUT", base, 400, json={"start": {"date": "2026-07-21T09:00:00.000Z"}})
    await api.error("PUT", base, 400, json={"start": {"date": "2026-07-21", "time": "25:00"}})
    await api.error("PUT", base, 400, json={"start": end, "end": start})
    await api.ok("DELETE", base)
    assert b.date is None
    await api.error("DELETE", base, 404)


async def test_task_note(api: Api, taskade_fake: FakeTaskade) -> None:
    """A note is put, read and deleted; before that the item is null."""
    project = _project(taskade_fake)
    b = taskade_fake.tasks(project)[-1]
    base = f"/projects/{project.id}/tasks/{b.id}/note"
    assert (await api.ok("GET", base))["item"] is None
    body = await api.ok("PUT", base, json={"type": "text/markdown", "value": "See *spec*"})
    assert body["item"] == {"type": "text/markdown", "value": "See *spec*"}
    assert taskade_fake.note(project, b.id) == "See *spec*"
    assert (await api.ok("GET", base))["item"] == body["item"]
    assert await api.ok("DELETE", base) == {"ok": True}
    await api.error("DELETE", base, 404)
    await api.error("PUT", base, 400, json={"type": "text/plain", "value": ""})
    await api.error("PUT", base, 400, json={"type": "text/html", "value": "x"})


async def test_task_field_values(api: Api, taskade_fake: FakeTaskade) -> None:
    """Field values are put (checked against the field's type), listed, read and deleted."""
    project = _project(taskade_fake)
    estimate = taskade_fake.add_field(
        project,
        {
            "type": "number",
            "displayName": "Estimate",
            "render": {"type": "text"},
            "format": {"type": "decimal"},
        },
    )
    status = taskade_fake.add_field(
        project,
        {
            "type": "Select",
            "displayName": "Status",
            "options": {"todo": {"id": "todo", "name": "To do", "rank": "a"}},
        },
    )
    b = taskade_fake.tasks(project)[-1]
    base = f"/projects/{project.id}/tasks/{b.id}/fields"
    assert (await api.ok("GET", base))["items"] == []
    assert await api.ok("PUT", f"{base}/{estimate.id}", json={"value": 3.5}) == {"ok": True}
    await api.ok("PUT", f"{base}/{status.id}", json={"value": "todo"})
    assert (await api.ok("GET", base))["items"] == [
        {"fieldId": estimate.id, "value": 3.5},
        {"fieldId": status.id, "value": "todo"},
    ]
    body = await api.ok("GET", f"{base}/{estimate.id}")
    assert body["item"] == {"fieldId": estimate.id, "value": 3.5}
    await api.error("PUT", f"{base}/{estimate.id}", 400, json={"value": "three"})
    await api.error("PUT", f"{base}/{status.id}", 400, json={"value": "doing"})
    await api.error("PUT", f"{base}/{status.id}", 400, json={"value": ""})
    await api.error("PUT", f"{base}/unknown", 404, json={"value": 1})
    assert await api.ok("DELETE", f"{base}/{estimate.id}") == {"ok": True}
    assert (await api.ok("GET", f"{base}/{estimate.id}"))["item"] == {
        "fieldId": estimate.id,
        "value": None,
    }
    await api.error("DELETE", f"{base}/{estimate.id}", 404)
