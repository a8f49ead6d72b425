"""Cursor pages over tasks in document order, including a 100,000-task project."""

from __future__ import annotations

from taskade_async.testing import FakeTaskade

from .conftest import Api


async def test_cursor_pages_follow_document_order(api: Api, taskade_fake: FakeTaskade) -> None:
    """after=X starts right after X; before=X gives the limit items just before X, in order."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=[("A", ["A1", ("A2", ["A2a"])]), "B", "C"])
    ids = [t.id for t in taskade_fake.tasks(project)]
    path = f"/projects/{project.id}/tasks"
    first = await api.ok("GET", path, params={"limit": "2"})
    assert [t["id"] for t in first["items"]] == ids[:2]
    after = await api.ok("GET", path, params={"after": ids[1], "limit": "3"})
    assert [t["id"] for t in after["items"]] == ids[2:5]
    before = await api.ok("GET", path, params={"before": ids[4], "limit": "2"})
    assert [t["id"] for t in before["items"]] == ids[2:4]
    start = await api.ok("GET", path, params={"before": ids[1], "limit": "5"})
    assert [t["id"] for t in start["items"]] == ids[:1]
    end = await api.ok("GET", path, params={"after": ids[-1]})
    assert end["items"] == []
    await api.error("GET", path, 400, params={"after": ids[0], "before": ids[3]})


async def test_default_limit_is_100(api: Api, taskade_fake: FakeTaskade) -> None:
    """Without limit a task page holds 100 items."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Big", task_count=250)
    body = await api.ok("GET", f"/projects/{project.id}/tasks")
    assert len(body["items"]) == 100


async def test_a_page_sees_changes_made_between_pages(api: Api, taskade_fake: FakeTaskade) -> None:
    """The order is cached across reads and rebuilt after a change, as the next page shows."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=["A", "B", "C"])
    a, b, _ = taskade_fake.tasks(project)
    path = f"/projects/{project.id}/tasks"
    await api.ok("GET", path, params={"limit": "1"})
    cached = project.tree.order()[0]
    await api.ok("GET", path, params={"after": a.id, "limit": "1"})
    assert project.tree.order()[0] is cached  # reading never rebuilds the order
    await api.ok(
        "POST",
        f"{path}/",
        json={
            "tasks": [
                {
                    "contentType": "text/plain",
                    "content": "A.5",
                    "placement": "afterend",
                    "taskId": a.id,
                }
            ]
        },
    )
    page = await api.ok("GET", path, params={"after": a.id, "limit": "2"})
    assert [t["text"] for t in page["items"]] == ["A.5", "B"]
    await api.ok("DELETE", f"/projects/{project.id}/tasks/{b.id}")
    await api.error("GET", path, 400, params={"after": b.id})


async def test_paging_through_100000_tasks(api: Api, taskade_fake: FakeTaskade) -> None:
    """Paging a 100,000-task project by cursor yields every id once, in order, in 101 pages.

    Its speed is a benchmark's business (wall-clock bounds in a test flake on a
    loaded machine): ``benchmarks/bench_client.py`` pages 100,000 tasks.
    """
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Huge", task_count=100_000)
    expected = [t.id for t in taskade_fake.tasks(project)]
    assert len(expected) == 100_000
    assert sum(1 for t in taskade_fake.tasks(project) if t.parent is not None) > 10_000
    taskade_fake.record = False  # keep this test about paging, not about the request log
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        params = {"limit": "1000"}
        if after is not None:
            params["after"] = after
        items = (await api.ok("GET", f"/projects/{project.id}/tasks", params=params))["items"]
        pages += 1
        seen.extend(item["id"] for item in items)
        if len(items) < 1000:
            break
        after = items[-1]["id"]
    assert seen == expected
    assert pages == 101
