"""What is sent: ids encoded as one segment, integer queries (bad arguments: test_arguments.py)."""

from __future__ import annotations

import pytest

import taskade_async as tk
from taskade_async.api import me, medias, projects, tasks

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
