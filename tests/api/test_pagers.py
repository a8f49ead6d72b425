"""The generated list functions page by cursor and by number, resume, cap and stop early."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import taskade_async as tk
from taskade_async.api import me, projects
from tests.core.conftest import acquired

from .conftest import Recorder, Reply


def tasks_page(*ids: str) -> dict[str, object]:
    return {"ok": True, "items": [{"id": i, "text": i.upper()} for i in ids]}


def projects_page(*ids: str) -> dict[str, object]:
    return {"ok": True, "items": [{"id": i} for i in ids]}


@pytest.mark.parametrize(
    ("page", "walk", "queries"),
    [
        (
            tasks_page,
            lambda s: projects.list_tasks(s, "p1", limit=2),
            ["limit=2", "limit=2&after=t2", "limit=2&after=t4"],
        ),
        (
            projects_page,
            lambda s: me.list_projects(s, limit=2),
            ["page=1&limit=2", "page=2&limit=2", "page=3&limit=2"],
        ),
    ],
    ids=["cursor", "page-numbers"],
)
async def test_pages_are_followed_to_a_short_one(
    recorder: Recorder,
    session: tk.Session,
    page: Callable[..., dict[str, object]],
    walk: Callable[[tk.Session], Any],
    queries: list[str],
) -> None:
    """Each next page starts after the last item (cursor) or is the next number; a short page
    ends the walk."""
    for ids in (("t1", "t2"), ("t3", "t4"), ("t5",)):
        recorder.reply(page(*ids))
    got = await walk(session).collect()
    assert [item.id for item in got] == ["t1", "t2", "t3", "t4", "t5"]
    assert [r.query_string for r in recorder.requests] == queries


async def test_cursor_backwards_uses_before(recorder: Recorder, session: tk.Session) -> None:
    """With ``before``, the next page ends before the first item of the current one."""
    recorder.reply(tasks_page("t3", "t4"))
    recorder.reply(tasks_page("t2"))
    pages = [p async for p in projects.list_blocks(session, "p1", limit=2, before="t5").pages()]
    assert [p.position for p in pages] == ["t5", "t3"]
    assert [r.query_string for r in recorder.requests] == ["limit=2&before=t5", "limit=2&before=t3"]


async def test_a_failed_page_says_where_to_resume(recorder: Recorder, session: tk.Session) -> None:
    """An error part-way carries ``resume_from``; passing it back continues without repeats."""
    recorder.reply(tasks_page("t1", "t2"))
    recorder.replies.append(Reply(json={"ok": False, "code": "X", "message": "boom"}, status=500))
    seen: list[str] = []

    async def walk() -> None:
        async for task in projects.list_tasks(session, "p1", limit=2):
            seen.append(task.id)

    with pytest.raises(tk.ServerError) as caught:
        await walk()
    assert seen == ["t1", "t2"]
    assert caught.value.resume_from == "t2"
    recorder.reply(tasks_page("t3"))
    rest = await projects.list_tasks(session, "p1", limit=2, after="t2").collect()
    assert [t.id for t in rest] == ["t3"]


async def test_max_items_caps_and_asks_for_less(recorder: Recorder, session: tk.Session) -> None:
    """``max_items`` stops the walk and shrinks the last request's limit."""
    recorder.reply(tasks_page("t1", "t2"))
    recorder.reply(tasks_page("t3"))
    got = await projects.list_tasks(session, "p1", limit=2, max_items=3).collect()
    assert [t.id for t in got] == ["t1", "t2", "t3"]
    assert [r.query_string for r in recorder.requests] == ["limit=2", "limit=1&after=t2"]


async def test_leaving_early_stops_fetching(recorder: Recorder, session: tk.Session) -> None:
    """Breaking out of ``async for`` fetches at most the one page read ahead."""
    for page in (("t1", "t2"), ("t3", "t4"), ("t5", "t6")):
        recorder.reply(tasks_page(*page))
    items = aiter(projects.list_tasks(session, "p1", limit=2))
    async for task in items:
        assert task.id == "t1"
        break
    await items.aclose()  # what the loop's async-generator finalizer does after a break
    assert len(recorder.requests) <= 2
    assert acquired(session) == 0


async def test_page_resume_and_pages(recorder: Recorder, session: tk.Session) -> None:
    """Starting from a later page works, and pages() tells the next page to ask for."""
    recorder.reply(projects_page("c", "d"))
    recorder.reply(projects_page())
    pages = [p async for p in me.list_projects(session, limit=2, page=2).pages()]
    assert [(p.position, p.next) for p in pages] == [(2, 3), (3, None)]
    assert pages[0].raw == [{"id": "c"}, {"id": "d"}]


async def test_a_repeated_page_is_an_error(recorder: Recorder, session: tk.Session) -> None:
    """A server that ignores ``page`` and repeats itself stops the pager, not loops it."""
    recorder.reply(projects_page("a", "b"))
    recorder.reply(projects_page("a", "b"))
    with pytest.raises(tk.PaginationError):
        await me.list_projects(session, limit=2).collect()
