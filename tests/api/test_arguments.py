"""Arguments checked as fully as the API checks them, before anything is sent."""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import taskade_async as tk
from taskade_async.api import ENDPOINTS, agents, me, projects, tasks
from taskade_async.bulk import create_tasks
from taskade_async.models import Date, MoveTarget, NewTask
from taskade_async.testing import FakeTaskade

from .conftest import Recorder

Call = Callable[[tk.Session], Awaitable[Any]]
TASKS = {"ok": True, "item": []}
PLAIN = {"content_type": "text/plain", "content": "a", "placement": "beforeend"}


async def test_dicts_take_snake_case_keys_and_send_wire_names(
    recorder: Recorder, session: tk.Session
) -> None:
    """``content_type``/``task_id`` in a dict are sent as ``contentType``/``taskId``."""
    recorder.reply(TASKS)
    await tasks.create(session, "p", tasks=[{**PLAIN, "task_id": "t1", "placement": "afterend"}])
    assert recorder.last.json() == {
        "tasks": [
            {"contentType": "text/plain", "content": "a", "placement": "afterend", "taskId": "t1"}
        ]
    }
    recorder.reply({"ok": True, "item": {"id": "t"}})
    await tasks.move(session, "p", "t", target={"task_id": "t2", "position": "beforebegin"})
    assert recorder.last.json() == {"target": {"taskId": "t2", "position": "beforebegin"}}


async def test_wire_names_and_models_still_work(recorder: Recorder, session: tk.Session) -> None:
    """The API's own names and the generated models are sent as before."""
    recorder.reply(TASKS)
    wire = {"contentType": "text/plain", "content": "a", "placement": "beforeend"}
    model = NewTask(content_type="text/plain", content="b", placement="beforeend")
    await tasks.create(session, "p", tasks=[wire, model])
    assert recorder.last.json()["tasks"] == [wire, {**wire, "content": "b"}]


async def test_dates_accept_datetime_date(recorder: Recorder, session: tk.Session) -> None:
    """A ``datetime.date`` stands for a Date, or for its ``date`` field, in dicts and models."""
    day = datetime.date(2026, 7, 21)
    for start, end in (
        (day, datetime.date(2026, 7, 22)),
        ({"date": day, "time": "09:00"}, Date(date=datetime.date(2026, 7, 22))),  # type: ignore[arg-type]  # a date in a model is accepted at run time
    ):
        recorder.reply({"ok": True, "item": {"id": "t"}})
        await tasks.set_date(session, "p", "t", start=start, end=end)
        sent = recorder.last.json()
        assert sent["start"]["date"] == "2026-07-21"
        assert sent["end"] == {"date": "2026-07-22"}


INVALID: list[tuple[str, Call, str]] = [
    (
        "unknown key",
        lambda s: tasks.create(s, "p", tasks=[{**PLAIN, "parent": "t1"}]),
        r"tasks\[0\] has no field 'parent'; it takes 'content_type', 'content', 'placement', "
        "'task_id'",
    ),
    (
        "unknown key in a nested object",
        lambda s: tasks.set_date(s, "p", "t", start={"date": "2026-01-01", "tz": "UTC"}),
        "start has no field 'tz'",
    ),
    (
        "a key given twice",
        lambda s: tasks.create(s, "p", tasks=[{**PLAIN, "contentType": "text/plain"}]),
        "gives 'content_type' twice",
    ),
    (
        "a snake_case key still has to be there",
        lambda s: tasks.create(s, "p", tasks=[{"content": "a", "placement": "beforeend"}]),
        "missing 'content_type'",
    ),
    (
        "month 13",
        lambda s: tasks.set_date(s, "p", "t", start={"date": "2026-13-45"}),
        r"start\.date must be a real calendar date \(YYYY-MM-DD\), not '2026-13-45'",
    ),
    (
        "30 February",
        lambda s: tasks.set_date(s, "p", "t", start=Date(date="2026-02-30")),
        "real calendar date",
    ),
    (
        "an impossible end date",
        lambda s: tasks.set_date(
            s, "p", "t", start=datetime.date(2026, 1, 1), end={"date": "2026-00-10"}
        ),
        r"end\.date must be a real calendar date",
    ),
    (
        "a datetime is not a date",
        lambda s: tasks.set_date(s, "p", "t", start=datetime.datetime(2026, 1, 1, 9, 0)),
        "start must be a model, a dict or a date, not datetime",
    ),
    (
        "a datetime in a dict is not a date either",
        lambda s: tasks.set_date(s, "p", "t", start={"date": datetime.datetime(2026, 1, 1)}),
        r"start\.date must be a date \('YYYY-MM-DD' or a datetime\.date\), not datetime",
    ),
    (
        "no tasks",
        lambda s: tasks.create(s, "p", tasks=[]),
        "tasks takes at least 1 item, not 0",
    ),
    ("blank project id", lambda s: tasks.get(s, " ", "t"), "projectId must be a non-blank id"),
    ("newline in an id", lambda s: tasks.get(s, "p", "t1\n"), "taskId must not hold control"),
    ("NUL in an id", lambda s: tasks.delete(s, "p\x00", "t"), "must not hold control"),
    (
        "blank cursor",
        lambda s: projects.list_tasks(s, "p", after="  ").collect(),
        "after must be a non-blank id",
    ),
    (
        "cursor limit above the API's 1000",
        lambda s: projects.list_blocks(s, "p", limit=5000).collect(),
        "limit must be an int from 1 to 1000, not 5000",
    ),
    # The spec's own constraints: lengths, patterns, enums, item counts, types.
    (
        "content too long",
        lambda s: tasks.update(s, "p", "t", content_type="text/plain", content="x" * 2001),
        "at most 2000 characters",
    ),
    (
        "newline in a one-line text",
        lambda s: tasks.update(s, "p", "t", content_type="text/plain", content="a\nb"),
        "must match",
    ),
    (
        "unknown enum value",
        lambda s: tasks.update(s, "p", "t", content_type="text/html", content="a"),  # type: ignore[arg-type]  # the wrong value is the point
        "must be one of",
    ),
    (
        "wrong type",
        lambda s: tasks.set_assignees(s, "p", "t", handles="ada"),  # a str passes as Sequence[str]
        "must be a list",
    ),
    (
        "empty handle",
        lambda s: tasks.set_assignees(s, "p", "t", handles=["ada", ""]),
        r"handles\[1\] must be at least 1",
    ),
    (
        "too many tasks",
        lambda s: tasks.create(
            s,
            "p",
            tasks=[{"contentType": "text/plain", "content": "a", "placement": "beforeend"}] * 21,
        ),
        "at most 20 items",
    ),
    (
        "task item without placement",
        lambda s: tasks.create(s, "p", tasks=[{"contentType": "text/plain", "content": "a"}]),
        "missing 'placement'",
    ),
    (
        "date not YYYY-MM-DD",
        lambda s: tasks.set_date(s, "p", "t", start=Date(date="2026-07-21T09:00:00.000Z")),
        "must match",
    ),
    (
        "move target position",
        lambda s: tasks.move(s, "p", "t", target={"taskId": "x", "position": "inside"}),
        "must be one of",
    ),
    (
        "move target model with an empty id",
        lambda s: tasks.move(s, "p", "t", target=MoveTarget(task_id="", position="afterend")),
        "at least 1",
    ),
    (
        "field value neither number nor text",
        lambda s: tasks.set_field_value(s, "p", "t", "f", value=[1]),  # type: ignore[arg-type]  # a list is neither
        "must be a number, not list, or must be a str",
    ),
    (
        "bool is not a number",
        lambda s: tasks.set_field_value(s, "p", "t", "f", value=True),
        "must be a number",
    ),
    (
        "None for a required value",
        lambda s: agents.add_knowledge_project(s, "a", project_id=None),  # type: ignore[arg-type]  # None is the point
        "must not be None",
    ),
    (
        "bad query enum",
        lambda s: me.list_projects(s, sort="name").collect(),  # type: ignore[arg-type]  # the wrong value is the point
        "must be one of",
    ),
    (
        "cursor limit above 1000",
        lambda s: projects.list_tasks(s, "p", limit=1001).collect(),
        "1000",
    ),
    ("page limit zero", lambda s: me.list_projects(s, limit=0).collect(), "a positive one"),
    (
        "float page",
        lambda s: me.list_projects(s, page=1.0).collect(),  # type: ignore[arg-type]  # a float is the point
        "page must be an int",
    ),
]


@pytest.mark.parametrize(("case", "call", "message"), INVALID, ids=[c[0] for c in INVALID])
async def test_bad_arguments_are_refused_before_sending(
    recorder: Recorder, session: tk.Session, case: str, call: Call, message: str
) -> None:
    """Each bad argument raises a ValidationError that says what is allowed; nothing is sent."""
    with pytest.raises(tk.ValidationError, match=message):
        await call(session)
    assert recorder.requests == []


async def test_the_largest_cursor_limit_is_sent(recorder: Recorder, session: tk.Session) -> None:
    """``limit=1000`` is the API's maximum and is sent as it is."""
    recorder.reply({"ok": True, "items": []})
    await projects.list_tasks(session, "p", limit=1000).collect()
    assert recorder.last.query_string == "limit=1000"


def test_retry_policy_refuses_zero_attempts() -> None:
    """``max_attempts=0`` is a ValidationError (still a ValueError), naming the minimum."""
    for bad in (0, -1, 1.5, True):
        with pytest.raises(tk.ValidationError, match="max_attempts must be an int of at least 1"):
            tk.RetryPolicy(max_attempts=bad)  # type: ignore[arg-type]  # wrong values on purpose
    assert issubclass(tk.ValidationError, ValueError)
    assert tk.RetryPolicy(max_attempts=1) == tk.RetryPolicy.never()


async def test_the_fake_refuses_impossible_dates(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """FakeTaskade answers 400 to 2026-13-45 sent past the client's checks, and stores nothing."""
    ws = taskade_fake.add_workspace("W")
    project = taskade_fake.add_project(taskade_fake.add_folder(ws, "F"), "P", tasks=["one"])
    task = taskade_fake.tasks(project)[0]
    op = ENDPOINTS["taskPutDate"]
    for bad in ("2026-13-45", "2026-02-30", "0000-01-01"):
        with pytest.raises(tk.BadRequestError):
            await taskade_session.request(op, (project.id, task.id), json={"start": {"date": bad}})
    assert task.date is None
    await taskade_session.request(op, (project.id, task.id), json={"start": {"date": "2028-02-29"}})
    assert json.dumps(task.date) == '{"start": {"date": "2028-02-29"}}'


async def test_create_many_takes_snake_case_dicts(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """bulk creation checks and sends snake_case dict items like tasks.create does."""
    ws = taskade_fake.add_workspace("W")
    project = taskade_fake.add_project(ws, "P")
    made = await create_tasks(taskade_session, project.id, [PLAIN, {**PLAIN, "content": "b"}])
    assert [t.text for t in made] == ["a", "b"]
    with pytest.raises(tk.ValidationError, match=r"items\[1\] has no field 'colour'"):
        await create_tasks(taskade_session, project.id, [PLAIN, {**PLAIN, "colour": "red"}])
    assert [t.text for t in taskade_fake.tasks(project)] == ["a", "b"]


async def test_valid_edge_values_are_sent(recorder: Recorder, session: tk.Session) -> None:
    """The limits themselves pass: 2000 characters, 20 tasks, a number or text field value."""
    recorder.reply({"ok": True, "item": {"id": "t1"}})
    await tasks.update(session, "p", "t", content_type="text/plain", content="x" * 2000)
    recorder.reply({"ok": True, "item": []})
    items = [{"contentType": "text/plain", "content": "a", "placement": "beforeend"}] * 20
    await tasks.create(session, "p", tasks=items)
    assert len(recorder.last.json()["tasks"]) == 20
    for value in (3, 2.5, "high"):
        recorder.reply({"ok": True})
        await tasks.set_field_value(session, "p", "t", "f", value=value)
        assert json.loads(recorder.last.body) == {"value": value}
