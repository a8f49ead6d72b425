"""Pagers against a loopback server serving cursor pages and numbered pages."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

import taskade_async as tk
from taskade_async._pagination import CursorPager, PagePager, SinglePager

from .conftest import SessionFactory, acquired
from .server import Handler, Server, error, items_page, reply

TASKS = tk.Operation("taskList", "GET", "/projects/{projectId}/tasks")
MEMBERS = tk.Operation("memberList", "GET", "/projects/{projectId}/members")
IDS = [f"t{i:03d}" for i in range(250)]


def ident(raw: Any) -> str:
    """Decode an item into its id."""
    return str(raw["id"])


def cursor_handler(ids: list[str]) -> Handler:
    """Serve ``ids`` in cursor pages (after/before, limit), like the tasks endpoint."""

    async def handler(request: web.Request) -> web.StreamResponse:
        limit = int(request.query.get("limit", "100"))
        if "after" in request.query:
            start = ids.index(request.query["after"]) + 1
            chunk = ids[start : start + limit]
        elif "before" in request.query:
            end = ids.index(request.query["before"])
            chunk = ids[max(0, end - limit) : end]
        else:
            chunk = ids[:limit]
        return web.json_response(items_page(chunk))

    return handler


def page_handler(ids: list[str]) -> Handler:
    """Serve ``ids`` in numbered pages (page from 1, limit)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        page, limit = int(request.query["page"]), int(request.query["limit"])
        return web.json_response(items_page(ids[(page - 1) * limit : page * limit]))

    return handler


def cursor(session: tk.Session, **kwargs: Any) -> CursorPager[str]:
    return CursorPager(session, TASKS, ("p",), {}, ident, **kwargs)


def numbered(session: tk.Session, **kwargs: Any) -> PagePager[str]:
    return PagePager(session, MEMBERS, ("p",), {}, ident, **kwargs)


async def test_cursor_items_across_pages(server: Server, make_session: SessionFactory) -> None:
    """async for yields every item in order, following after= the last id."""
    server.route("GET", "/projects/p/tasks", cursor_handler(IDS))
    async with make_session() as s:
        assert [i async for i in cursor(s)] == IDS
    queries = [r.query for r in server.requests()]
    assert queries == [
        {"limit": "100"},
        {"limit": "100", "after": "t099"},
        {"limit": "100", "after": "t199"},
    ]


async def test_cursor_pages_tell_where_they_start_and_continue(
    server: Server, make_session: SessionFactory
) -> None:
    """pages() yields Page objects with items, raw JSON, position and next."""
    server.route("GET", "/projects/p/tasks", cursor_handler(IDS))
    async with make_session() as s:
        pages = [p async for p in cursor(s, limit=100).pages()]
    assert [(p.position, p.next, len(p.items)) for p in pages] == [
        (None, "t099", 100),
        ("t099", "t199", 100),
        ("t199", None, 50),
    ]
    assert pages[0].raw[0] == {"id": "t000", "text": "task t000"}


async def test_exact_multiple_of_limit_ends_on_an_empty_page(
    server: Server, make_session: SessionFactory
) -> None:
    """200 items in pages of 100 take a third, empty request, then stop."""
    server.route("GET", "/projects/p/tasks", cursor_handler(IDS[:200]))
    async with make_session() as s:
        assert await cursor(s).collect() == IDS[:200]
    assert len(server.requests()) == 3


async def test_cursor_backwards_with_before(server: Server, make_session: SessionFactory) -> None:
    """before= pages backwards: each page ends before the first item of the last one."""
    server.route("GET", "/projects/p/tasks", cursor_handler(IDS))
    async with make_session() as s:
        pages = [p.items async for p in cursor(s, before="t150", limit=100).pages()]
    assert pages == [IDS[50:150], IDS[:50]]
    assert server.requests()[1].query == {"limit": "100", "before": "t050"}


async def test_collect_and_max_items(server: Server, make_session: SessionFactory) -> None:
    """max_items stops at that many items and asks only for what is still wanted."""
    server.route("GET", "/projects/p/tasks", cursor_handler(IDS))
    async with make_session() as s:
        assert await cursor(s, max_items=130).collect() == IDS[:130]
        assert await cursor(s, max_items=0).collect() == []
    assert [r.query["limit"] for r in server.requests()] == ["100", "30"]


async def test_resume_from_after_a_failure_part_way(
    server: Server, make_session: SessionFactory
) -> None:
    """A pager failing on page 2 says where to resume; resuming yields the rest."""
    fail_once = True
    serve = cursor_handler(IDS)

    async def flaky(request: web.Request) -> web.StreamResponse:
        nonlocal fail_once
        if request.query.get("after") == "t099" and fail_once:
            fail_once = False
            return await error(404, "NOT_FOUND", "hiccup")(request)
        return await serve(request)

    server.route("GET", "/projects/p/tasks", flaky)
    got: list[str] = []

    async def consume(pager: CursorPager[str]) -> None:
        async for item in pager:
            got.append(item)

    async with make_session() as s:
        pager = cursor(s)
        with pytest.raises(tk.NotFoundError) as info:
            await consume(pager)
        assert info.value.resume_from == "t099"
        assert pager.resume_from == "t099"
        resume = info.value.resume_from
        assert isinstance(resume, str)
        got += await cursor(s, after=resume).collect()
    assert got == IDS


@pytest.mark.parametrize(
    ("path", "pager", "says", "resume_from"),
    [
        ("/projects/p/tasks", cursor, "again", "t009"),
        ("/projects/p/members", numbered, "repeats", 2),
    ],
    ids=["cursor-ignores-after", "page-ignores-page"],
)
async def test_a_pager_that_does_not_advance_is_an_error(
    server: Server,
    make_session: SessionFactory,
    path: str,
    pager: Callable[..., CursorPager[str] | PagePager[str]],
    says: str,
    resume_from: str | int,
) -> None:
    """A server that ignores after= (or page=) and resends the same page raises
    PaginationError, not a loop."""
    server.route("GET", path, reply(200, items_page(IDS[:10])))
    async with make_session() as s:
        with pytest.raises(tk.PaginationError, match=says) as info:
            await pager(s, limit=10).collect()
    assert info.value.resume_from == resume_from
    assert len(server.requests()) == 2


async def test_page_pager_items_and_pages(server: Server, make_session: SessionFactory) -> None:
    """Numbered pages go page=1, 2, 3 until a short page."""
    server.route("GET", "/projects/p/members", page_handler(IDS[:25]))
    async with make_session() as s:
        pages = [p async for p in numbered(s, limit=10).pages()]
        assert await numbered(s, limit=10, page=3).collect() == IDS[20:25]
    assert [(p.position, p.next) for p in pages] == [(1, 2), (2, 3), (3, None)]
    assert [r.query["page"] for r in server.requests()] == ["1", "2", "3", "3"]


async def test_single_pager(server: Server, make_session: SessionFactory) -> None:
    """A list the API does not paginate is one page behind the same interface."""
    server.route("GET", "/projects/p/tasks", reply(200, items_page(IDS[:3])))
    async with make_session() as s:
        pager: SinglePager[str] = SinglePager(s, TASKS, ("p",), {"x": 1}, ident)
        pages = [p async for p in pager.pages()]
    assert [(p.items, p.position, p.next) for p in pages] == [(IDS[:3], None, None)]
    assert server.requests()[0].query == {"x": "1"}


async def test_missing_items_key_is_a_protocol_error(
    server: Server, make_session: SessionFactory
) -> None:
    """A list response without its items list raises ProtocolError."""
    server.route("GET", "/projects/p/tasks", reply(200, {"ok": True, "things": []}))
    async with make_session() as s:
        with pytest.raises(tk.ProtocolError, match="items"):
            await cursor(s).collect()


async def test_bad_ids_and_limits_are_refused_at_once(make_session: SessionFactory) -> None:
    """A pager refuses a '..' id or a limit over 1000 when built, before any await."""
    async with make_session() as s:
        with pytest.raises(tk.ValidationError):
            CursorPager(s, TASKS, ("..",), {}, ident)
        with pytest.raises(tk.ValidationError):
            cursor(s, limit=1001)
        with pytest.raises(tk.ValidationError):
            cursor(s, after="a", before="b")
        with pytest.raises(tk.ValidationError):
            numbered(s, page=0)


async def test_reads_one_page_ahead(server: Server, make_session: SessionFactory) -> None:
    """While page 1 is consumed, page 2 is being fetched, and page 3 is not."""
    server.route("GET", "/projects/p/tasks", cursor_handler(IDS))
    async with make_session() as s:
        pages = cursor(s).pages()
        first = await anext(pages)
        assert first.position is None
        await asyncio.wait_for(server.wait_for(2), 2)  # page 2 requested without asking
        assert len(server.requests()) == 2
        await pages.aclose()


async def _others_finish() -> None:
    """Wait (bounded) for every task but this one: a pending read-ahead would hang here."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        _done, pending = await asyncio.wait(others, timeout=2)
        assert not pending, pending


def _page_two_hangs(server: Server) -> None:
    """Serve page 1 of the tasks; the request for page 2 never answers (until the server stops)."""
    serve = cursor_handler(IDS)

    async def handler(request: web.Request) -> web.StreamResponse:
        if "after" in request.query:
            return await server.hang(request)
        return await serve(request)

    server.route("GET", "/projects/p/tasks", handler)


async def test_leaving_async_for_early_releases_everything(
    server: Server, make_session: SessionFactory
) -> None:
    """Breaking out of async for cancels the read-ahead and releases its connection."""
    _page_two_hangs(server)
    async with make_session() as s:
        async for item in cursor(s):
            assert item == "t000"
            await server.wait_for(2)  # the read-ahead is in flight
            break
        await _others_finish()
        assert acquired(s) == 0


async def test_cancelling_a_consumer_releases_everything(
    server: Server, make_session: SessionFactory
) -> None:
    """Cancelling a task that iterates a pager leaves no task and no connection behind."""
    _page_two_hangs(server)
    async with make_session() as s:
        consumer = asyncio.create_task(cursor(s).collect())
        await server.wait_for(2)
        consumer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await consumer
        await _others_finish()
        assert acquired(s) == 0


async def test_failed_read_ahead_is_not_left_unretrieved(
    server: Server, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-ahead that failed while the consumer was leaving logs no unretrieved error."""
    serve = cursor_handler(IDS)

    async def page_two_is_malformed(request: web.Request) -> web.StreamResponse:
        if "after" in request.query:
            return web.json_response({"ok": True, "items": "not a list"})
        return await serve(request)

    server.route("GET", "/projects/p/tasks", page_two_is_malformed)
    async with make_session() as s:
        pages = CursorPager(s, TASKS, ("p",), {}, ident).pages()
        await anext(pages)
        read_ahead = [
            t
            for t in asyncio.all_tasks()
            if getattr(t.get_coro(), "__qualname__", "") == "Pager._fetch"
        ]
        assert len(read_ahead) == 1
        await asyncio.wait(read_ahead, timeout=2)
        assert read_ahead[0].done()  # it failed; nobody has read its exception yet
        assert not read_ahead[0].cancelled()
        await pages.aclose()
        del pages, read_ahead
        gc.collect()
        assert acquired(s) == 0
    assert "never retrieved" not in caplog.text


async def test_null_entries_are_skipped_and_counted(
    server: Server, make_session: SessionFactory
) -> None:
    """A pager never yields None: null entries are left out and counted in Page.skipped."""
    server.route(
        "GET", "/projects/p/members", reply(200, {"ok": True, "items": [None, {"id": "a"}, None]})
    )
    async with make_session() as s:
        pages = [p async for p in numbered(s, limit=5).pages()]
        items = await numbered(s, limit=5).collect()
    assert [(p.items, p.skipped, len(p.raw)) for p in pages] == [(["a"], 2, 3)]
    assert items == ["a"]
