"""Slicing for the two pagination styles: cursors (after/before) and page numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ._problems import ApiProblem

if TYPE_CHECKING:
    from ._call import Call

__all__ = ["cursor_slice", "folder_page", "page_slice"]

T = TypeVar("T")


class _SpaceRecord(Protocol):
    @property
    def space_id(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


def cursor_slice(
    items: Sequence[T], index: Mapping[str, int], query: Mapping[str, Any]
) -> Sequence[T]:
    """The ``limit`` items right after ``after``, or right before ``before`` (same order).

    ``index`` maps an item's id to its position in ``items``, so this costs
    ``O(limit)``.
    """
    limit: int = query["limit"]
    after: str | None = query.get("after")
    before: str | None = query.get("before")
    if after is not None and before is not None:
        raise ApiProblem(400, "give at most one of 'after' and 'before'")
    if after is not None:
        position = index.get(after)
        if position is None:
            raise ApiProblem(400, f"'after' names an unknown item: {after!r}")
        return items[position + 1 : position + 1 + limit]
    if before is not None:
        position = index.get(before)
        if position is None:
            raise ApiProblem(400, f"'before' names an unknown item: {before!r}")
        return items[max(0, position - limit) : position]
    return items[:limit]


def page_slice(items: Sequence[T], query: Mapping[str, Any]) -> Sequence[T]:
    """Page ``page`` (from 1) of ``limit`` items."""
    limit: int = query["limit"]
    start = (query["page"] - 1) * limit
    return items[start : start + limit]


def folder_page(call: Call, records: Iterable[_SpaceRecord]) -> dict[str, Any]:
    """The answer listing one page (:func:`page_slice`) of the records in the path's folder."""
    space_id = call.state.space(call.args["folderId"]).id
    mine = [record for record in records if record.space_id == space_id]
    return {"ok": True, "items": [record.to_json() for record in page_slice(mine, call.query)]}
