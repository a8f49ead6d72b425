"""What is sent: ids encoded as one segment, integer queries, arguments checked before sending."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import taskade_async as tk
from taskade_async.api import agents, me, medias, projects, tasks
from taskade_async.models import Date, MoveTarget

from .conftest import Recorder

TASK = {"ok": True, "item": {"id": "t1"}}


@pytest.mark.parametrize(
    ("task_id", "encoded"),
    [
        ("a/b", "a%2Fb"),
        ("a?b=1", "a%3Fb%3D1"),
        ("a#frag", "a%23frag"),
        ("100%", "100%25"),
        ("..a", "..a"),
        ("sp ace", "sp%20ace"),
    ],
)
async def test_ids_are_sent_as_one_segment(
    recorder: Recorder, session: tk.Session, task_id: str, encoded: str
) -> None:
    """``/ ? # %`` in an id are percent-encoded, so it cannot reach another endpoint."""
    recorder.reply(TASK)
    await tasks.get(session, "p/1", task_id)
    assert recorder.last.raw_path == f"/api/v1/projects/p%2F1/tasks/{encoded}"
    assert recorder.last.query_string == ""


@pytest.mark.parametrize("bad", ["", ".", ".."])
async def test_dot_and_empty_ids_are_refused(
    recorder: Recorder, session: tk.Session, bad: str
) -> None:
    """Empty, ``.`` and ``..`` ids raise ValidationError and nothing is sent."""
    with pytest.raises(tk.ValidationError):
        await tasks.get(session, "p1", bad)
    with pytest.raises(tk.ValidationError):
        projects.list_tasks(session, bad)
    assert recorder.requests == []


async def test_queries_are_integers_and_wire_names(recorder: Recorder, session: tk.Session) -> None:
    """limit and page go out as integers; optional query values only when given."""
    recorder.reply({"ok": True, "items": []})
    await me.list_projects(session, limit=7, page=3, sort="viewed-asc").collect()
    assert recorder.last.query_string == "sort=viewed-asc&page=3&limit=7"
    recorder.reply({"ok": True, "items": []})
    await projects.list_tasks(session, "p1", limit=250, after="t9").collect()
    assert recorder.last.query_string == "limit=250&after=t9"


async def test_upload_filename_is_query_encoded(recorder: Recorder, session: tk.Session) -> None:
    """The upload's file name is percent-encoded in the query."""
    recorder.reply({"ok": True, "item": {"mediaId": "m", "fileId": "f", "kind": "k",
                                         "downloadUrl": "u"}})  # fmt: skip
    await medias.upload(session, "s1", filename="a&b c.txt", data=b"x")
    assert recorder.last.query_string == "filename=a%26b%20c.txt"
    assert recorder.last.headers["Content-Type"] == "application/octet-stream"


Call = Callable[[tk.Session], Awaitable[Any]]

INVALID: list[tuple[str, Call, str]] = [
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
        lambda s: tasks.update(s, "p", "t", content_type="text/html", content="a"),  # type: ignore[call-overload]  # the wrong value is the point
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
        lambda s: agents.add_knowledge_project(s, "a", project_id=None),  # type: ignore[call-overload]  # None is the point
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
async def test_bad_arguments_never_reach_the_server(
    recorder: Recorder, session: tk.Session, case: str, call: Call, message: str
) -> None:
    """Arguments that break the spec's constraints raise ValidationError before sending."""
    with pytest.raises(tk.ValidationError, match=message):
        await call(session)
    assert recorder.requests == []


async def test_valid_edge_values_are_sent(recorder: Recorder, session: tk.Session) -> None:
    """The limits themselves pass: 2000 characters, 20 tasks, a number or text field value."""
    recorder.reply(TASK)
    await tasks.update(session, "p", "t", content_type="text/plain", content="x" * 2000)
    recorder.reply({"ok": True, "item": []})
    items = [{"contentType": "text/plain", "content": "a", "placement": "beforeend"}] * 20
    await tasks.create(session, "p", tasks=items)
    assert len(recorder.last.json()["tasks"]) == 20
    for value in (3, 2.5, "high"):
        recorder.reply({"ok": True})
        await tasks.set_field_value(session, "p", "t", "f", value=value)
        assert json.loads(recorder.last.body) == {"value": value}
