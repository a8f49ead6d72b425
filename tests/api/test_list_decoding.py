"""The compiled list loop (a page in one call) decodes and refuses exactly as the item functions."""

from __future__ import annotations

from typing import Any

import pytest

import taskade_async as tk
from taskade_async._convert import FieldError, structure_fn, to_wire
from taskade_async._structure import list_structure
from taskade_async.api import agents, projects
from taskade_async.models import Convo, Task

from .conftest import Recorder


def _task(i: int, **fields: Any) -> dict[str, Any]:
    task = {"id": f"t{i:04d}", "text": f"task {i}", "parentId": "root", "completed": False}
    return {**task, **fields}


def _convo(i: int, **data: Any) -> dict[str, Any]:
    return {"id": f"c{i}", "space_agent_id": "a", "status": "idle", "title": "T", "data": data}


LAYOUTS: list[list[Any]] = [
    [_task(i) for i in range(5)],  # every field: the fast steps
    [{"id": "a"}, {"id": "b", "completed": True}],  # fields missing: the general steps
    [_task(1, more=[1]), {"id": "b", "new": {"x": 1}}],  # unknown fields, both ways
    [None, _task(1), None, {"id": "c"}, None],  # null entries are left out
    [_task(1, text=None, completed=None), {"completed": False, "id": "z", "text": "t"}],
    [],
    # Items without every field, then whole ones: the loop stops trying the all-fields
    # steps after a few misses, and the items after still decode the same.
    [{"id": f"m{i}"} for i in range(12)] + [_task(i, more=i) for i in range(3)] + [_task(9)],
    [_task(0), {"id": "a"}, _task(1), {"id": "b", "x": 1}, _task(2)],
]


@pytest.mark.parametrize("raw", LAYOUTS)
def test_the_list_loop_gives_what_the_item_function_gives(raw: list[Any]) -> None:
    """Same models, same order, same ``extra`` and wire form, null entries left out."""
    one = structure_fn(Task)
    many = list_structure(one)
    assert many is not None
    got = many(raw)
    want = [one(x) for x in raw if x is not None]
    assert got == want
    assert [to_wire(t) for t in got] == [to_wire(t) for t in want]
    assert [dict(t.extra) for t in got] == [dict(t.extra) for t in want]


def test_only_compiled_structure_functions_have_a_list_loop() -> None:
    """A decoder that is not a model's structure function gets the plain per-item path."""
    assert list_structure(lambda raw: raw) is None
    assert list_structure(structure_fn(Convo)) is not None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"completed": "yes"}, "items[737].completed: expected a boolean, got string 'yes'"),
        ({"id": 737}, "items[737].id: expected a string, got integer 737"),
        ({"text": ["x"]}, "items[737].text: expected a string, got array"),
    ],
)
async def test_a_wrong_type_deep_in_a_page_is_located(
    recorder: Recorder, session: tk.Session, bad: dict[str, Any], message: str
) -> None:
    """Item 737 of a 1,000-item page: the error names the operation, the path and the type."""
    items = [_task(i) for i in range(1000)]
    items[737] = {**items[737], **bad}
    recorder.reply({"ok": True, "items": items})
    with pytest.raises(FieldError) as caught:
        await projects.list_tasks(session, "p1", limit=1000).collect()
    error = caught.value
    assert isinstance(error, tk.ProtocolError)
    assert str(error).startswith(f"projectTasksGet: {message}")
    assert error.field_path == message.split(":")[0]
    assert error.body == {"items": items}
    assert error.resume_from is None


async def test_a_bad_item_on_a_later_page_keeps_the_pages_before(
    recorder: Recorder, session: tk.Session
) -> None:
    """The first page is yielded whole; the bad second page raises with where to resume."""
    first = [_task(i) for i in range(10)]
    second = [_task(10 + i) for i in range(4)]
    second[2] = {**second[2], "parentId": {"id": "x"}}
    recorder.reply({"ok": True, "items": first})
    recorder.reply({"ok": True, "items": second})
    seen: list[str] = []

    async def walk() -> None:
        async for task in projects.list_tasks(session, "p1", limit=10):
            seen.append(task.id)

    with pytest.raises(FieldError, match=r"^projectTasksGet: items\[2\]\.parentId: ") as caught:
        await walk()
    assert seen == [t["id"] for t in first]
    assert caught.value.resume_from == first[-1]["id"]


async def test_a_wrong_type_in_a_nested_model_deep_in_a_page_is_located(
    recorder: Recorder, session: tk.Session
) -> None:
    """A nested model's bad field in item 13 of a page has the full path from the body."""
    items = [_convo(i, endedAt=i) for i in range(20)]
    items[13] = _convo(13, endedAt=True)
    recorder.reply({"ok": True, "items": items})
    with pytest.raises(FieldError) as caught:
        await agents.list_convos(session, "a", limit=20).collect()
    assert str(caught.value).startswith(
        "agentConvosGet: items[13].data.endedAt: expected a number, got boolean"
    )
    assert caught.value.field_path == "items[13].data.endedAt"


@pytest.mark.parametrize(
    "odd",
    ["oops", 7, ["id", "text", "parentId", "completed"], {"text": "no id"}],
)
async def test_an_item_that_is_not_a_task_object_is_refused(
    recorder: Recorder, session: tk.Session, odd: Any
) -> None:
    """A string, a number, an array of the field names or an object without an id fails at
    its index."""
    items = [_task(0), _task(1), odd, _task(3)]
    recorder.reply({"ok": True, "items": items})
    with pytest.raises(tk.ProtocolError, match=r"^projectTasksGet: items\[2\]: "):
        await projects.list_tasks(session, "p1").collect()


async def test_null_entries_are_counted_on_the_page(
    recorder: Recorder, session: tk.Session
) -> None:
    """A page's null entries are left out of its items and counted in ``skipped``."""
    items = [None, _task(1), None, None, _task(4)]
    recorder.reply({"ok": True, "items": items})
    pages = [page async for page in projects.list_tasks(session, "p1").pages()]
    assert [t.id for t in pages[0].items] == ["t0001", "t0004"]
    assert pages[0].skipped == 3
    assert pages[0].raw == items
