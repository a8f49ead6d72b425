"""Slicing for the two pagination styles: cursors (after/before) and page numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from ._problems import ApiProblem

__all__ = ["cursor_slice", "page_slice"]

T = TypeVar("T")


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
