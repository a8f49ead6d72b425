"""A project's task tree, with a cached document order for cheap cursor pages.

Placement names are those of the DOM's ``insertAdjacentElement``, relative to
a reference task: ``beforebegin`` (previous sibling), ``afterbegin`` (first
child), ``beforeend`` (last child), ``afterend`` (next sibling). With no
reference task the project root is the target, where only ``afterbegin`` and
``beforeend`` exist.

Document order (depth first, parents before their children) is built once
and kept, with an id -> index map, until the next change of structure, so a
page of ``limit`` tasks costs ``O(limit)`` however large the project is.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final, Literal

import attrs

__all__ = ["PLACEMENTS", "ROOT_PLACEMENTS", "FakeTask", "Placement", "TaskTree", "TreeError"]

Placement = Literal["beforebegin", "afterbegin", "beforeend", "afterend"]
PLACEMENTS: Final[frozenset[str]] = frozenset(
    {"beforebegin", "afterbegin", "beforeend", "afterend"}
)
ROOT_PLACEMENTS: Final[frozenset[str]] = frozenset({"afterbegin", "beforeend"})


class TreeError(ValueError):
    """A placement or move that the tree cannot carry out (an HTTP 400)."""


@attrs.define(eq=False)
class FakeTask:
    """One task: its text, state and the data hung on it (note, date, ...)."""

    id: str
    text: str
    parent: FakeTask | None = None
    completed: bool = False
    children: list[FakeTask] = attrs.Factory(list)
    note: dict[str, str] | None = None
    date: dict[str, Any] | None = None
    assignees: list[str] = attrs.Factory(list)
    field_values: dict[str, Any] = attrs.Factory(dict)

    def to_json(self) -> dict[str, Any]:
        """The API's ``Task`` shape."""
        parent = self.parent
        if parent is None:
            return {"id": self.id, "text": self.text, "completed": self.completed}
        return {
            "id": self.id,
            "text": self.text,
            "parentId": parent.id,
            "completed": self.completed,
        }


class TaskTree:
    """The tasks of one project, in order, with O(1) lookup by id."""

    __slots__ = ("_index", "_order", "_root_index", "by_id", "roots")

    def __init__(self) -> None:
        self.roots: list[FakeTask] = []
        self.by_id: dict[str, FakeTask] = {}
        self._order: list[FakeTask] | None = None
        self._index: dict[str, int] | None = None
        self._root_index: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.by_id)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self.by_id

    # -- reading -----------------------------------------------------------

    def order(self) -> tuple[list[FakeTask], dict[str, int]]:
        """All tasks in document order, and each id's position in that list."""
        order = self._order
        index = self._index
        if order is None or index is None:
            order = []
            append = order.append
            stack = self.roots[::-1]
            pop = stack.pop
            extend = stack.extend
            while stack:
                task = pop()
                append(task)
                if task.children:
                    extend(task.children[::-1])
            index = {task.id: i for i, task in enumerate(order)}
            self._order = order
            self._index = index
        return order, index

    def root_index(self) -> dict[str, int]:
        """Each top-level task's position in :attr:`roots`."""
        index = self._root_index
        if index is None:
            index = self._root_index = {task.id: i for i, task in enumerate(self.roots)}
        return index

    def walk(self, task: FakeTask) -> Iterator[FakeTask]:
        """``task`` and its descendants, in document order."""
        stack = [task]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(current.children[::-1])

    def siblings(self, task: FakeTask) -> list[FakeTask]:
        """The list that holds ``task`` (its parent's children, or the roots)."""
        return self.roots if task.parent is None else task.parent.children

    # -- changing ----------------------------------------------------------

    def _changed(self) -> None:
        self._order = None
        self._index = None
        self._root_index = None

    def append_bulk(self, task: FakeTask, parent: FakeTask | None) -> None:
        """Add ``task`` as the last child of ``parent`` (or the last root); for builders."""
        task.parent = parent
        (self.roots if parent is None else parent.children).append(task)
        self.by_id[task.id] = task
        self._changed()

    def _attach(self, task: FakeTask, reference: FakeTask | None, placement: str) -> None:
        if reference is None:
            if placement not in ROOT_PLACEMENTS:
                raise TreeError(
                    f"placement {placement!r} needs a taskId; at the project root "
                    "only 'afterbegin' and 'beforeend' are valid"
                )
            task.parent = None
            if placement == "afterbegin":
                self.roots.insert(0, task)
            else:
                self.roots.append(task)
            return
        if placement == "afterbegin":
            task.parent = reference
            reference.children.insert(0, task)
        elif placement == "beforeend":
            task.parent = reference
            reference.children.append(task)
        elif placement in ("beforebegin", "afterend"):
            siblings = self.siblings(reference)
            position = _position(siblings, reference)
            task.parent = reference.parent
            siblings.insert(position if placement == "beforebegin" else position + 1, task)
        else:
            raise TreeError(f"unknown placement {placement!r}")

    def insert(self, task: FakeTask, reference: FakeTask | None, placement: str) -> None:
        """Place a new task relative to ``reference`` (None: the project root)."""
        self._attach(task, reference, placement)
        self.by_id[task.id] = task
        self._changed()

    def move(self, task: FakeTask, reference: FakeTask, placement: str) -> None:
        """Move ``task`` and its subtree next to or into ``reference``."""
        if placement not in PLACEMENTS:
            raise TreeError(f"unknown placement {placement!r}")
        ancestor: FakeTask | None = reference
        while ancestor is not None:
            if ancestor is task:
                raise TreeError("a task cannot be moved relative to itself or into its own subtree")
            ancestor = ancestor.parent
        siblings = self.siblings(task)
        del siblings[_position(siblings, task)]
        self._attach(task, reference, placement)
        self._changed()

    def remove(self, task: FakeTask) -> list[FakeTask]:
        """Delete ``task`` and its subtree; return the removed tasks."""
        removed = list(self.walk(task))
        siblings = self.siblings(task)
        del siblings[_position(siblings, task)]
        by_id = self.by_id
        for gone in removed:
            del by_id[gone.id]
        task.parent = None
        self._changed()
        return removed


def _position(siblings: list[FakeTask], task: FakeTask) -> int:
    for i, sibling in enumerate(siblings):
        if sibling is task:
            return i
    raise LookupError(task.id)  # the tree is inconsistent: a bug, not a user error
