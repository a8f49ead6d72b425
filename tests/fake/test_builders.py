"""The Python-side builders, accessors and life cycle of FakeTaskade."""

from __future__ import annotations

import pytest

from taskade_async.testing import FakeTaskade


def test_add_task_as_child_or_by_placement() -> None:
    """add_task appends under a parent by default, or follows a placement relative to a task."""
    fake = FakeTaskade()
    ws = fake.add_workspace("Acme")
    project = fake.add_project(ws, "Plan", tasks=["A", "B"])
    a, b = fake.tasks(project)
    child = fake.add_task(project, "A1", parent=a, note="hi", completed=True)
    first = fake.add_task(project.id, "Zero", relative_to=a.id, placement="beforebegin")
    last = fake.add_task(project, "End")
    assert [t.text for t in fake.tasks(project)] == ["Zero", "A", "A1", "B", "End"]
    assert child.parent is a
    assert child.completed
    assert fake.note(project, child.id) == "hi"
    assert first.parent is None
    assert last.parent is None
    assert fake.task(project, b.id) is b
    with pytest.raises(ValueError, match="not both"):
        fake.add_task(project, "X", parent=a, relative_to=b)


def test_nested_outline_and_bulk_count() -> None:
    """add_project takes a nested outline plus a generated count, in document order."""
    fake = FakeTaskade()
    ws = fake.add_workspace("Acme")
    project = fake.add_project(ws, "Plan", tasks=[("A", [("A1", ["A1a"])]), "B"], task_count=500)
    tasks = fake.tasks(project)
    assert [t.text for t in tasks[:4]] == ["A", "A1", "A1a", "B"]
    assert [t.text for t in tasks[4:]] == [f"Task {i}" for i in range(1, 501)]
    assert max(_depth(t) for t in tasks) <= 5
    assert len({t.id for t in tasks}) == 504


def _depth(task: object) -> int:
    depth = 0
    parent = getattr(task, "parent", None)
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


def test_unknown_ids_in_builders_are_errors() -> None:
    """Builders refuse unknown spaces and projects instead of inventing them."""
    fake = FakeTaskade()
    with pytest.raises(KeyError, match="not found"):
        fake.add_project("nope", "X")
    with pytest.raises(KeyError):
        fake.project("nope")
    with pytest.raises(KeyError, match="not found"):
        fake.add_folder("nope", "F")


def test_urls_need_a_started_server() -> None:
    """Addresses exist only once the server is started."""
    fake = FakeTaskade()
    assert "not started" in repr(fake)
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.base_url


async def test_start_and_close_are_idempotent() -> None:
    """start() and close() may be called twice; the port is a real free one."""
    fake = FakeTaskade()
    await fake.start()
    await fake.start()
    port = fake.url.port
    assert port
    assert str(port) in repr(fake)
    await fake.close()
    await fake.close()
