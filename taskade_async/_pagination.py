"""Pagers: async iterators over the items and the pages of a list operation.

A list function returns a pager at once (no ``await``): ``async for item in
pager`` walks every page; ``pager.pages()`` yields :class:`Page` objects;
``await pager.collect()`` returns a list. The next page is fetched while the
current one is consumed. A cursor or page that does not advance raises
:class:`PaginationError` instead of looping, and an error part-way carries
``resume_from``: pass it back (``after=`` or ``page=``) to continue.

Leaving an ``async for`` early, or cancelling the task iterating, stops the
read-ahead and releases its connection (wrap ``pager.pages()`` in
``contextlib.aclosing`` to have that happen at a point you choose).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ._convert import decode_list
from ._errors import PaginationError, ProtocolError, TaskadeError, ValidationError
from ._request import Operation, encode_segment

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["CursorPager", "Page", "PagePager", "Pager", "SinglePager", "decode_items", "raw_list"]

T = TypeVar("T")
#: Turns one raw item (the server's JSON object) into its model.
Decode = Callable[[Any], T]

MAX_CURSOR_LIMIT = 1000
#: A cursor (task id), a page number, or None for the start.
Position = str | int | None


@attrs.frozen(slots=True)
class Page(Generic[T]):
    """One page: its items, and where the next page starts (``None``: this was the last)."""

    items: list[T]
    #: The raw JSON objects the items were made from, as received.
    raw: list[Any] = attrs.field(repr=False)
    #: The ``after``/``before`` cursor or page number that fetched this page.
    position: Position
    #: What to pass to fetch the next page, or ``None``.
    next: Position
    #: How many null entries of ``raw`` were left out of ``items``.
    skipped: int = 0


def raw_list(payload: dict[str, Any], key: str, where: str) -> list[Any]:
    """The raw items under ``key``, or a ProtocolError."""
    raw = payload.get(key)
    if not isinstance(raw, list):
        raise ProtocolError(f"{where}: expected a list under {key!r}, got {type(raw).__name__}")
    return raw


def decode_items(raw: list[Any], decode: Decode[T], where: str, key: str = "items") -> list[T]:
    """The models of a page's raw items (null entries left out), or a ProtocolError."""
    try:
        return decode_list(raw, decode, where, key, {key: raw})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(
            f"{where}: an item does not have the documented shape: {exc!r}"
        ) from exc


def _as_received(raw: Any) -> Any:
    return raw


def _check_count(name: str, value: object, most: int | None = None) -> None:
    """Refuse anything but a positive int (up to ``most``): counts are sent as integers."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < 1
        or (most is not None and value > most)
    ):
        what = "an int, a positive one" if most is None else f"an int from 1 to {most}"
        raise ValidationError(f"{name} must be {what}, not {value!r}")


class Pager(Generic[T]):
    """Base of the pagers; subclasses say how to fetch one page and find the next."""

    __slots__ = (
        "_args",
        "_decode",
        "_key",
        "_max_items",
        "_op",
        "_query",
        "_session",
        "resume_from",
    )

    def __init__(
        self,
        session: Session,
        op: Operation,
        args: tuple[str, ...],
        query: dict[str, Any],
        decode: Decode[T],
        *,
        key: str = "items",
        max_items: int | None = None,
    ) -> None:
        if max_items is not None and (not isinstance(max_items, int) or max_items < 0):
            raise ValidationError("max_items must be a non-negative int or None")
        session.url(op, args, None)  # refuse bad ids now, before anything is sent
        self._session = session
        self._op = op
        self._args = args
        self._query = query
        self._decode = decode
        self._key = key
        self._max_items = max_items
        #: Where the first page not yet returned starts (cursor, page number or None).
        self.resume_from: Position = None

    @property
    def operation(self) -> Operation:
        """The operation each page is fetched with (its ``operation_id`` names it in errors)."""
        return self._op

    def raw(self) -> Pager[Any]:
        """The same list, its items the server's JSON as received (nothing decoded).

        Paging, ``max_items``, the read-ahead and the errors are this pager's;
        null entries are left out of ``Page.items`` as usual (``Page.raw`` has them).
        """
        twin: Pager[Any] = copy.copy(self)
        twin._decode = _as_received
        twin.resume_from = None
        return twin

    def _start(self) -> Position:
        raise NotImplementedError

    def _page_query(self, position: Position, want: int | None) -> dict[str, Any]:
        raise NotImplementedError

    def _next(self, position: Position, raw: list[Any], asked: int | None) -> Position:
        raise NotImplementedError

    async def _fetch(self, position: Position, remaining: int | None) -> tuple[list[Any], Position]:
        """One page's raw items and the position of the next page (no decoding)."""
        query = self._page_query(position, remaining)
        payload = await self._session.request(self._op, self._args, query=query)
        raw = raw_list(payload, self._key, self._op.operation_id)
        return raw, self._next(position, raw, query.get("limit"))

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield pages, fetching the next while the current one is decoded and consumed.

        The next page's request is put on the wire before this page's items are
        turned into models, so the server works on it meanwhile.
        """
        position = self._start()
        self.resume_from = position
        seen: set[Position] = {position}
        remaining = self._max_items
        if remaining == 0:
            return
        where = self._op.operation_id
        pending: asyncio.Future[tuple[list[Any], Position]] | None = asyncio.ensure_future(
            self._fetch(position, remaining)
        )
        try:
            while pending is not None:
                try:
                    raw, nxt = await pending
                except TaskadeError as exc:
                    exc.resume_from = position
                    raise
                pending = None
                here = position
                if remaining is not None:
                    if len(raw) >= remaining:
                        raw = raw[:remaining]
                        nxt = None
                    remaining -= len(raw)
                if nxt is not None:
                    if nxt in seen:
                        error = PaginationError(
                            f"{where}: the server sent {nxt!r} again; "
                            "the pager stopped instead of looping"
                        )
                        error.resume_from = nxt
                        raise error
                    seen.add(nxt)
                    position = nxt
                    pending = asyncio.ensure_future(self._fetch(nxt, remaining))
                    # One loop step lets the read-ahead send its request now.
                    await asyncio.sleep(0)
                try:
                    items = decode_items(raw, self._decode, where, self._key)
                except ProtocolError as exc:
                    exc.resume_from = here
                    raise
                self.resume_from = nxt
                skipped = len(raw) - len(items)
                yield Page(items=items, raw=raw, position=here, next=nxt, skipped=skipped)
        finally:
            if pending is not None:
                # Leaving early: stop the read-ahead, wait until it let go of its
                # connection, and take its outcome so nothing is left unretrieved.
                pending.cancel()
                await asyncio.wait((pending,))
                if not pending.cancelled():
                    pending.exception()

    async def _items(self) -> AsyncGenerator[T, None]:
        pages = self.pages()
        try:
            async for page in pages:
                for item in page.items:
                    yield item
        finally:
            await pages.aclose()

    def __aiter__(self) -> AsyncGenerator[T, None]:
        return self._items()

    async def collect(self) -> list[T]:
        """Every item of every page, in a list."""
        out: list[T] = []
        async with contextlib.aclosing(self.pages()) as pages:
            async for page in pages:
                out.extend(page.items)
        return out


class CursorPager(Pager[T]):
    """Pages by task-id cursor: ``after`` (forwards) or ``before`` (backwards), ``limit`` <= 1000.

    Forwards, the next page starts after the last item; backwards, it ends
    before the first one. A page shorter than ``limit`` is the last.
    """

    __slots__ = ("_after", "_before", "_limit")

    #: Where the first page not yet returned starts: pass it back as ``after=``.
    resume_from: str | None

    def __init__(
        self,
        session: Session,
        op: Operation,
        args: tuple[str, ...],
        query: dict[str, Any],
        decode: Decode[T],
        *,
        limit: int = 100,
        after: str | None = None,
        before: str | None = None,
        max_items: int | None = None,
        key: str = "items",
    ) -> None:
        _check_count("limit", limit, MAX_CURSOR_LIMIT)
        if after is not None and before is not None:
            raise ValidationError("pass after or before, not both")
        for name, value in (("after", after), ("before", before)):
            if value is not None:
                encode_segment(value, name)  # a task id: the same checks as in a path
        super().__init__(session, op, args, query, decode, key=key, max_items=max_items)
        self._limit = limit
        self._after = after
        self._before = before

    def _start(self) -> Position:
        return self._before if self._before is not None else self._after

    def _page_query(self, position: Position, want: int | None) -> dict[str, Any]:
        query = dict(self._query)
        query["limit"] = self._limit if want is None else max(1, min(self._limit, want))
        if position is not None:
            query["before" if self._before is not None else "after"] = position
        return query

    def _next(self, position: Position, raw: list[Any], asked: int | None) -> Position:
        if not raw or len(raw) < (asked or self._limit):
            return None
        edge = raw[0] if self._before is not None else raw[-1]
        cursor = edge.get("id") if isinstance(edge, dict) else None
        if not isinstance(cursor, str) or not cursor:
            raise ProtocolError(f"{self._op.operation_id}: the last item of a page has no id")
        return cursor


class PagePager(Pager[T]):
    """Pages by number (``page`` from 1, ``limit``); a page shorter than ``limit`` is the last."""

    __slots__ = ("_limit", "_page", "_previous")

    #: The first page not yet returned: pass it back as ``page=``.
    resume_from: int | None

    def __init__(
        self,
        session: Session,
        op: Operation,
        args: tuple[str, ...],
        query: dict[str, Any],
        decode: Decode[T],
        *,
        limit: int = 100,
        page: int = 1,
        max_items: int | None = None,
        key: str = "items",
    ) -> None:
        _check_count("limit", limit)
        _check_count("page", page)
        super().__init__(session, op, args, query, decode, key=key, max_items=max_items)
        self._limit = limit
        self._page = page
        self._previous: list[Any] | None = None

    def _start(self) -> Position:
        self._previous = None
        return self._page

    def _page_query(self, position: Position, want: int | None) -> dict[str, Any]:
        return {**self._query, "page": position, "limit": self._limit}

    def _next(self, position: Position, raw: list[Any], asked: int | None) -> Position:
        if len(raw) < self._limit or not raw:
            return None
        # A server that ignores ``page`` sends the same page again: stop, do not loop.
        if raw == self._previous:
            error = PaginationError(
                f"{self._op.operation_id}: page {position} repeats the page before it"
            )
            error.resume_from = position
            raise error
        self._previous = raw
        assert isinstance(position, int)
        return position + 1


class SinglePager(Pager[T]):
    """A list the API returns whole, behind the same interface as the paged ones."""

    __slots__ = ()

    def _start(self) -> Position:
        return None

    def _page_query(self, position: Position, want: int | None) -> dict[str, Any]:
        return dict(self._query)

    def _next(self, position: Position, raw: list[Any], asked: int | None) -> Position:
        return None
