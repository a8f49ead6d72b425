"""The pure rules of which records a round proves gone (taskade_async._dlt_gone)."""

from __future__ import annotations

from typing import Any

from taskade_async._dlt_gone import gone_in_unit, key_of, vanished_units
from taskade_async.export._discover import Listing, Space
from taskade_async.export._records import DETAIL_TYPES, ItemError
from taskade_async.export._units import Unit

NOTES = frozenset({"task_notes"})
KNOWN = {
    "tasks": [["t1"], ["t2"]],
    "task_notes": [["t1"], ["t2"]],
    "task_dates": [["t2"]],
}


def _failed(what: str, task: str | None = None) -> ItemError:
    parents = {"projectId": "p"} if task is None else {"projectId": "p", "taskId": task}
    return ItemError(what, task or "p", parents, "op", "boom", status=403)


def test_details_of_a_task_gone_are_gone_even_when_not_asked_for() -> None:
    """A task gone takes its dates along though dates were not fetched this time."""
    gone = gone_in_unit("project", KNOWN, {"tasks": [["t1"]]}, [], NOTES)
    assert gone == {"tasks": {("t2",)}, "task_notes": {("t1",), ("t2",)}, "task_dates": {("t2",)}}


def test_a_failed_detail_proves_nothing_for_its_task_only() -> None:
    """A note that failed for t1 keeps t1's note; t2's missing note is still gone."""
    seen = {"tasks": [["t1"], ["t2"]]}
    gone = gone_in_unit("project", KNOWN, seen, [_failed("task_notes", "t1")], NOTES)
    assert gone == {"task_notes": {("t2",)}}


def test_a_failed_project_or_task_list_proves_nothing_below_it() -> None:
    """A project that failed marks nothing; a failed task list marks no task nor detail."""
    assert gone_in_unit("project", KNOWN, {}, [_failed("project")], DETAIL_TYPES) == {}
    assert gone_in_unit("project", KNOWN, {}, [_failed("tasks")], DETAIL_TYPES) == {}


def test_keys_need_every_field() -> None:
    """A row without its key's fields has no key (it cannot be matched later)."""
    assert key_of("task_assignees", {"taskId": "t", "handle": "h"}) == ["t", "h"]
    assert key_of("members", {"name": "no handle"}) is None


def test_a_project_is_gone_only_where_its_list_was_read_whole() -> None:
    """Absent from a folder listed whole: gone; its folder's list failed: kept."""
    listing = Listing(
        workspaces=[("w", {"id": "w"})], spaces=[[Space("w", None, []), Space("f", {}, [])]]
    )
    known: dict[str, dict[str, Any]] = {
        "project:p": {"parents": {"workspaceId": "w", "folderId": "f"}},
        "project:q": {"parents": {"workspaceId": "w", "folderId": None}},
        "project:r": {"parents": {"workspaceId": "x", "folderId": None}},
    }
    present = [Unit("u1", "project", "q", {"workspaceId": "w", "folderId": None})]
    assert vanished_units(known, listing, present, []) == ["project:p", "project:r"]
    failed = ItemError("projects", "f", {"workspaceId": "w", "folderId": "f"}, "op", "boom")
    assert vanished_units(known, listing, present, [failed]) == ["project:r"]
