"""Decoding responses: unknown fields and enum values kept, nulls tolerated, bad shapes refused."""

from __future__ import annotations

import pytest

import taskade_async as tk
from taskade_async._convert import structure_fn, to_wire
from taskade_async.api import agents, folders, projects, tasks, workspaces
from taskade_async.models import Convo, NewTask, PublicAgentPreferencesUpdate, Task

from .conftest import Recorder, Reply


async def test_unknown_fields_are_kept_and_written_back(
    recorder: Recorder, session: tk.Session
) -> None:
    """Fields the spec does not list land in ``extra`` and are reproduced on the way out."""
    raw = {"id": "t1", "text": "x", "priority": 3, "labels": ["a"], "completed": False}
    recorder.reply({"ok": True, "item": raw})
    task = await tasks.get(session, "p1", "t1")
    assert task.extra == {"priority": 3, "labels": ["a"]}
    assert task == Task(id="t1", text="x", completed=False)
    assert to_wire(task) == raw


async def test_unknown_fields_in_nested_objects_and_results(
    recorder: Recorder, session: tk.Session
) -> None:
    """Nested models and result objects keep unknown fields too."""
    recorder.reply(
        {
            "ok": True,
            "publicUrl": "https://example.test/a/x",
            "shareCount": 2,
            "item": {
                "id": "a1",
                "name": "Bot",
                "data": {"conversationStarters": [{"id": "s", "text": "Hi", "emoji": ":)"}]},
                "preferences": {"theme": "neon"},
            },
        }
    )
    result = await agents.get_public(session, "a1")
    assert result.extra == {"shareCount": 2}
    assert result.public_url == "https://example.test/a/x"
    starters = result.item.data.conversation_starters
    assert starters is not None
    assert starters[0].extra == {"emoji": ":)"}
    assert result.item.preferences.theme == "neon"


async def test_unknown_enum_values_are_kept(recorder: Recorder, session: tk.Session) -> None:
    """An enum value the spec does not list is kept as the plain string."""
    convo = {"id": "c1", "space_agent_id": "a1", "status": "archived", "data": {}}
    recorder.reply({"ok": True, "item": convo})
    got = await agents.get_convo(session, "a1", "c1")
    assert got.status == "archived"


async def test_nulls_are_tolerated(recorder: Recorder, session: tk.Session) -> None:
    """Null optional fields and a nullable null item decode to None; null list items are skipped."""
    recorder.reply({"ok": True, "item": {"id": "t1", "text": None, "parentId": None}})
    task = await tasks.get(session, "p1", "t1")
    assert task.text is None
    assert task.parent_id is None
    recorder.reply({"ok": True, "items": [{"id": "w1", "name": None}, None]})
    pages = [page async for page in workspaces.list(session).pages()]
    # name is required by the spec; its null is kept (and written back), not an error
    assert to_wire(pages[0].items[0]) == {"id": "w1", "name": None}
    # a null list entry is left out, and counted
    assert len(pages[0].items) == 1
    assert pages[0].skipped == 1
    recorder.reply({"ok": True, "item": None})
    assert await projects.complete(session, "p1") is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"ok": True, "item": {"text": "no id"}}, "'id' is missing"),
        ({"ok": True}, "no 'item'"),
        ({"ok": True, "item": None}, "item is null"),
        ({"ok": True, "item": "t1"}, "taskGet: item: expected an object, got string 't1'"),
    ],
)
async def test_bad_shapes_are_protocol_errors(
    recorder: Recorder, session: tk.Session, payload: object, message: str
) -> None:
    """A missing required field, item or object is a ProtocolError that says what was wrong."""
    recorder.reply(payload)
    with pytest.raises(tk.ProtocolError, match=message):
        await tasks.get(session, "p1", "t1")


async def test_nested_bad_shapes_are_protocol_errors(
    recorder: Recorder, session: tk.Session
) -> None:
    """A nested list that is not a list, or a page item without a required field, is refused."""
    recorder.reply({"ok": True, "item": {"id": "a", "name": "n", "space_id": "s", "data": {}}})
    with pytest.raises(
        tk.ProtocolError, match=r"item\.data: the required field 'commands' is missing"
    ):
        await agents.get(session, "a")
    bad = {"id": "a", "name": "n", "space_id": "s", "data": {"commands": {"x": 1}}}
    recorder.reply({"ok": True, "item": bad})
    with pytest.raises(
        tk.ProtocolError, match=r"item\.data\.commands: expected an array, got object"
    ):
        await agents.get(session, "a")
    recorder.reply({"ok": True, "items": [{"id": "p1"}, {"name": "no id"}]})
    with pytest.raises(tk.ProtocolError, match="'id' is missing"):
        await folders.list_projects(session, "f1").collect()


def test_structure_of_a_model_is_built_once() -> None:
    """The converter hands out the same compiled function for a class every time."""
    assert structure_fn(Task) is structure_fn(Task)
    convo = structure_fn(Convo)(
        {"id": "c", "space_agent_id": "a", "status": "idle", "data": {"endedAt": 5}}
    )
    assert convo.data.ended_at == 5


def test_request_models_leave_out_unset_and_keep_explicit_null() -> None:
    """UNSET fields are not sent, None on a nullable field is sent as null, extra is sent."""
    assert to_wire(NewTask(content_type="text/plain", content="a", placement="beforeend")) == {
        "contentType": "text/plain",
        "content": "a",
        "placement": "beforeend",
    }
    assert to_wire(PublicAgentPreferencesUpdate(launcher_icon=None, theme="auto")) == {
        "theme": "auto",
        "launcherIcon": None,
    }
    assert to_wire([{"taskId": "x"}, ("a", 1)]) == [{"taskId": "x"}, ["a", 1]]
    newer = NewTask(content_type="text/plain", content="a", placement="beforeend", extra={"c": 1})
    assert to_wire(newer)["c"] == 1


async def test_a_session_error_reply_is_typed(recorder: Recorder, session: tk.Session) -> None:
    """An error answer becomes the typed APIError, not a decoding failure."""
    recorder.replies.append(
        Reply(json={"ok": False, "code": "NOT_FOUND", "message": "no task"}, status=404)
    )
    with pytest.raises(tk.NotFoundError) as caught:
        await tasks.get(session, "p1", "t1")
    assert caught.value.code == "NOT_FOUND"


@pytest.mark.parametrize(
    "raw",
    [
        {"id": "t", "text": "a", "parentId": "p", "completed": True},
        {"id": "t", "text": "a", "parentId": "p", "completed": True, "new": [1]},
        {"new": 0, "completed": False, "parentId": None, "text": "a", "id": "t"},
        {"id": "t"},
        {"id": "t", "new": {"x": 1}},
    ],
)
def test_every_field_layout_round_trips(raw: dict[str, object]) -> None:
    """With all, some or extra fields, in any order, a task holds and writes back what came."""
    task = structure_fn(Task)(raw)
    assert task.id == "t"
    assert to_wire(task) == {k: v for k, v in raw.items() if v is not None}
    assert dict(task.extra) == {k: v for k, v in raw.items() if k == "new"}


def test_nested_models_decode_on_both_paths() -> None:
    """A nested model decodes whether or not every field of its parent is present."""
    full = {"id": "c", "space_agent_id": "a", "status": "idle", "title": "T",
            "data": {"llm": {"type": "x"}, "endedAt": 1}}  # fmt: skip
    for raw in (full, {k: v for k, v in full.items() if k != "title"}):
        convo = structure_fn(Convo)(raw)
        assert convo.data.ended_at == 1
        assert to_wire(convo) == raw
    with pytest.raises(tk.ProtocolError, match=r"Convo\.data: expected an object, got array"):
        structure_fn(Convo)({**full, "data": ["no"]})
    with pytest.raises(tk.ProtocolError, match="Convo: expected an object, got array"):
        structure_fn(Convo)(["id", "space_agent_id", "status", "title", "data"])
