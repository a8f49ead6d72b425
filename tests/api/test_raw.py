"""Raw JSON: ``session.request(op, ids)`` and ``pager.raw()`` give the server's JSON as sent."""

from __future__ import annotations

from typing import Any, assert_type

import pytest

import taskade_async as tk
from taskade_async.api import projects, tasks
from taskade_async.models import Task

from .conftest import Recorder

#: A task whose ``completed`` decoding would refuse (a string), with an undocumented field.
ODD = {"id": "5", "completed": "maybe", "colour": "red"}


async def test_session_request_returns_the_answer_undecoded(
    recorder: Recorder, session: tk.Session
) -> None:
    """session.request(tasks.TASK_GET, ids) returns the JSON answer, even one decoding refuses."""
    recorder.reply({"ok": True, "item": ODD})
    payload = await session.request(tasks.TASK_GET, ("p1", "5"))
    assert_type(payload, dict[str, Any])
    assert payload == {"ok": True, "item": ODD}
    assert recorder.last.raw_path.endswith("/projects/p1/tasks/5")
    recorder.reply({"ok": True, "item": ODD})
    with pytest.raises(tk.ProtocolError):
        await tasks.get(session, "p1", "5")


async def test_generated_functions_have_no_raw_keyword(
    recorder: Recorder, session: tk.Session
) -> None:
    """The generated functions decode only: raw= is refused before anything is sent."""
    with pytest.raises(TypeError, match="raw"):
        await tasks.get(session, "p1", "5", raw=True)  # type: ignore[call-arg]
    assert recorder.requests == []
    recorder.reply({"ok": True, "item": {"id": "5", "text": "a"}})
    task = await tasks.get(session, "p1", "5")
    assert_type(task, Task)
    assert task.text == "a"


async def test_raw_pager_yields_items_as_received(recorder: Recorder, session: tk.Session) -> None:
    """pager.raw() pages like the pager and yields the JSON items, nulls left out of items."""
    first: list[Any] = [ODD, None, {"id": "6"}]
    recorder.reply({"ok": True, "items": first})
    recorder.reply({"ok": True, "items": []})
    pager = projects.list_tasks(session, "p1", limit=3)
    pages = [page async for page in pager.raw().pages()]
    assert [page.items for page in pages] == [[ODD, {"id": "6"}], []]
    assert pages[0].raw == first
    assert pages[0].skipped == 1
    assert pages[1].position == "6"
    assert pager.operation.operation_id == "projectTasksGet"


async def test_raw_pager_collects_and_caps(recorder: Recorder, session: tk.Session) -> None:
    """A raw pager's collect() and max_items behave as the decoding pager's."""
    recorder.reply({"ok": True, "items": [ODD, {"id": "6"}, {"id": "7"}]})
    items = await projects.list_tasks(session, "p1", limit=3, max_items=2).raw().collect()
    assert_type(items, list[Any])
    assert items == [ODD, {"id": "6"}]
    assert len(recorder.requests) == 1
