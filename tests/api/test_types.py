"""Honest models: a known field of the wrong JSON type is a ProtocolError that says where."""

from __future__ import annotations

from typing import Any

import pytest

import taskade_async as tk
from taskade_async._convert import FieldError, structure_fn, to_wire
from taskade_async.api import agents, medias, projects, tasks
from taskade_async.models import Convo, Task

from .conftest import Recorder


async def test_a_string_where_a_boolean_is_declared(
    recorder: Recorder, session: tk.Session
) -> None:
    """``completed: "maybe"`` names the operation, the field, the type, and keeps the body."""
    payload = {"ok": True, "item": {"id": "5", "completed": "maybe"}}
    recorder.reply(payload)
    with pytest.raises(tk.ProtocolError) as caught:
        await tasks.get(session, "p1", "5")
    error = caught.value
    assert str(error) == "taskGet: item.completed: expected a boolean, got string 'maybe'"
    assert isinstance(error, FieldError)
    assert error.field_path == "item.completed"
    assert error.received == "string"
    assert error.body == payload
    assert '"maybe"' in error.body_excerpt


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"id": 5, "completed": True}, "item.id: expected a string, got integer 5"),
        ({"id": "t", "text": {"a": 1}}, "item.text: expected a string, got object"),
        ({"id": "t", "parentId": ["x"]}, "item.parentId: expected a string, got array"),
        ({"id": "t", "completed": 1}, "item.completed: expected a boolean, got integer 1"),
        ({"id": "t", "completed": 0.0}, "item.completed: expected a boolean, got number"),
    ],
)
async def test_each_wrong_type_is_refused(
    recorder: Recorder, session: tk.Session, item: dict[str, Any], message: str
) -> None:
    """Numbers, objects and arrays where strings or booleans are declared are refused."""
    recorder.reply({"ok": True, "item": item})
    with pytest.raises(tk.ProtocolError, match=f"^taskGet: {message}"):
        await tasks.get(session, "p1", "t")


async def test_an_object_where_a_list_is_declared(recorder: Recorder, session: tk.Session) -> None:
    """A nested field's path runs from the body's root."""
    item = {"id": "a", "name": "n", "space_id": "s", "data": {"commands": {"x": 1}}}
    recorder.reply({"ok": True, "item": item})
    with pytest.raises(tk.ProtocolError) as caught:
        await agents.get(session, "a")
    assert str(caught.value).startswith(
        "agentGet: item.data.commands: expected an array, got object"
    )


async def test_a_bad_item_in_a_nested_list_is_located(
    recorder: Recorder, session: tk.Session
) -> None:
    """The index of a bad item inside a nested list is part of the path."""
    good = {"id": "c1", "name": "n", "prompt": "p", "mode": "ask"}
    data = {"commands": [good, {**good, "name": 7}]}
    recorder.reply({"ok": True, "item": {"id": "a", "name": "n", "space_id": "s", "data": data}})
    with pytest.raises(tk.ProtocolError, match=r"^agentGet: item\.data\.commands\[1\]\.name: "):
        await agents.get(session, "a")


async def test_a_bad_page_item_names_its_index_and_where_to_resume(
    recorder: Recorder, session: tk.Session
) -> None:
    """A pager's bad item is located as ``items[i]`` and the error says where to resume."""
    items = [{"id": "t1"}, None, {"id": "t3", "completed": "maybe"}]
    recorder.reply({"ok": True, "items": items})
    with pytest.raises(tk.ProtocolError) as caught:
        await projects.list_tasks(session, "p1").collect()
    error = caught.value
    assert str(error).startswith("projectTasksGet: items[2].completed: expected a boolean")
    assert error.body == {"items": items}
    assert error.resume_from is None


def test_numbers_accept_integers_but_not_booleans() -> None:
    """A float field takes a JSON integer (a valid JSON number) but refuses true or "12"."""
    convo = structure_fn(Convo)

    def raw(ended: Any) -> dict[str, Any]:
        return {"id": "c", "space_agent_id": "a", "status": "idle", "data": {"endedAt": ended}}

    assert convo(raw(12)).data.ended_at == 12
    assert convo(raw(1.5)).data.ended_at == 1.5
    with pytest.raises(FieldError, match=r"^Convo\.data\.endedAt: expected a number, got boolean"):
        convo(raw(True))
    with pytest.raises(FieldError, match=r"^Convo\.data\.endedAt: expected a number, got string"):
        convo(raw("12"))


async def test_nulls_unknown_enums_and_unknown_fields_are_still_tolerated(
    recorder: Recorder, session: tk.Session
) -> None:
    """Null in any field (required ones too), an unlisted enum value and extra fields decode."""
    recorder.reply({"ok": True, "item": {"id": None, "completed": None, "flag": "x"}})
    task = await tasks.get(session, "p1", "t")
    assert to_wire(task) == {"id": None, "flag": "x"}  # a null required id is kept
    assert task.completed is None
    assert task.extra == {"flag": "x"}
    convo = {"id": "c", "space_agent_id": "a", "status": "archived", "data": {"endedAt": None}}
    recorder.reply({"ok": True, "item": convo})
    got = await agents.get_convo(session, "a", "c")
    assert got.status == "archived"
    assert got.data.ended_at is None


def test_an_enum_of_the_wrong_type_is_refused() -> None:
    """An enum field holds strings: a number there is a ProtocolError too."""
    with pytest.raises(FieldError, match=r"^Convo\.status: expected a string, got integer 3"):
        structure_fn(Convo)({"id": "c", "space_agent_id": "a", "status": 3, "data": {}})


def test_both_decoding_paths_check_types() -> None:
    """The all-fields-present fast path and the general path refuse the same value."""
    full = {"id": "t", "text": "x", "parentId": None, "completed": "no"}
    partial = {"id": "t", "completed": "no"}
    for raw in (full, partial, {**full, "more": 1}):
        with pytest.raises(FieldError, match=r"^Task\.completed: expected a boolean"):
            structure_fn(Task)(raw)


async def test_a_result_object_is_checked(recorder: Recorder, session: tk.Session) -> None:
    """Fields beside ``item`` (a result object) are checked and located from the root."""
    agent = {"id": "a1", "name": "Bot", "data": {}, "preferences": {}}
    recorder.reply({"ok": True, "publicUrl": 5, "item": agent})
    with pytest.raises(tk.ProtocolError, match=r"^agentPublicGet: publicUrl: expected a string"):
        await agents.get_public(session, "a1")
    recorder.reply({"ok": True, "item": {"id": "m", "space_id": 3, "kind": "file"}})
    with pytest.raises(tk.ProtocolError, match=r"^mediaGet: item\.space_id: expected a string"):
        await medias.get(session, "m")
