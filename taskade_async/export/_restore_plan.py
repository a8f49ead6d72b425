"""What a restore will do, decided without the network (pure functions and the export's files).

An exported project is read back into :class:`SourceProject`: its task tree
in document order and the details hung on its tasks. :func:`tree_batches`
cuts the tree into ``taskCreate`` calls: level by level, each task placed
``beforeend`` of its parent (or of the root), at most 20 per call, so every
call only refers to tasks that exist already and each parent's children are
appended in their order. :func:`plan_restore` counts the requests of a
whole restore for ``--dry-run``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

__all__ = [
    "BATCH",
    "TEXT_LIMIT",
    "Node",
    "RestorePlan",
    "SourceProject",
    "note_problem",
    "plan_restore",
    "read_projects",
    "tree_batches",
]

#: Tasks per ``taskCreate`` call (the API's maximum).
BATCH: Final = 20
#: Characters a task's text may have (the API's maximum).
TEXT_LIMIT: Final = 2000
#: Tasks per page when the target's tasks are read back.
READ_PAGE: Final = 1000


@attrs.frozen(slots=True)
class Node:
    """One exported task: its id, its parent's (None at the root), text and completion."""

    id: str
    parent: str | None
    text: str
    completed: bool
    depth: int


@attrs.define(slots=True)
class SourceProject:
    """An exported project as a restore needs it."""

    id: str
    name: str
    #: Tasks in document order (parents before children, siblings in order).
    tasks: list[Node] = attrs.Factory(list)
    #: Task id -> note object (``type``, ``value``).
    notes: dict[str, dict[str, Any]] = attrs.Factory(dict)
    #: Task id -> date object (``start``, ``end``).
    dates: dict[str, dict[str, Any]] = attrs.Factory(dict)
    #: Task id -> the handles assigned.
    assignees: dict[str, list[str]] = attrs.Factory(dict)
    #: Task id -> how many custom field values it had.
    field_values: dict[str, int] = attrs.Factory(dict)

    def shape(self) -> list[tuple[int, str, bool]]:
        """The normalized tree: (depth, text, completed) in document order."""
        return [(node.depth, node.text, node.completed) for node in self.tasks]


def tree_batches(tasks: Sequence[Node]) -> list[list[Node]]:
    """The ``taskCreate`` calls that build ``tasks``, at most BATCH each.

    Tasks go level by level (parents in document order, each one's children
    in their order), so appending each ``beforeend`` of its parent rebuilds
    sibling order. A call takes the next tasks in that order until it holds
    BATCH or the next task's parent is in the same call (a call only refers
    to tasks that exist already): about ceil(tasks / 20) calls, plus one per
    level whose tasks hang under the previous call's.
    """
    levels: dict[int, list[Node]] = {}
    for node in tasks:
        levels.setdefault(node.depth, []).append(node)
    batches: list[list[Node]] = []
    current: list[Node] = []
    inside: set[str] = set()
    for depth in sorted(levels):
        for node in levels[depth]:
            if len(current) == BATCH or (node.parent is not None and node.parent in inside):
                batches.append(current)
                current, inside = [], set()
            current.append(node)
            inside.add(node.id)
    if current:
        batches.append(current)
    return batches


def note_problem(note: dict[str, Any]) -> str | None:
    """Why a note cannot be written back exactly (the API takes one non-empty line), or None."""
    value = note.get("value")
    if not isinstance(value, str) or not value:
        return "empty note"
    if "\n" in value or "\r" in value:
        return "a note with line breaks (the API writes one line only)"
    if note.get("type") not in ("text/plain", "text/markdown"):
        return f"a note of type {note.get('type')!r} (the API writes text/plain or text/markdown)"
    return None


def _lines(path: Path) -> Iterable[dict[str, Any]]:
    if not path.is_file():
        return
    for line in io.BytesIO(path.read_bytes()):
        yield json.loads(line)


def read_projects(export_dir: Path, wanted: Collection[str] | None = None) -> list[SourceProject]:
    """The exported projects (``wanted`` ids only, if given), in the export's order.

    Blocking: it reads the export's files.
    """
    projects: dict[str, SourceProject] = {}
    for line in _lines(export_dir / "projects.jsonl"):
        data = line.get("data") or {}
        pid = data.get("id")
        if isinstance(pid, str) and (wanted is None or pid in wanted) and pid not in projects:
            name = data.get("name")
            projects[pid] = SourceProject(pid, name if isinstance(name, str) else "Untitled")
    depth: dict[str, int] = {}
    for line in _lines(export_dir / "tasks.jsonl"):
        project = projects.get(line.get("projectId") or "")
        data = line.get("data") or {}
        tid = data.get("id")
        if project is None or not isinstance(tid, str):
            continue
        parent = data.get("parentId")
        parent = parent if isinstance(parent, str) and parent in depth else None
        depth[tid] = depth[parent] + 1 if parent is not None else 0
        text = data.get("text")
        project.tasks.append(
            Node(
                tid,
                parent,
                text if isinstance(text, str) else "",
                data.get("completed") is True,
                depth[tid],
            )
        )
    for kind in ("task_notes", "task_dates", "task_assignees", "task_field_values"):
        for line in _lines(export_dir / f"{kind}.jsonl"):
            project = projects.get(line.get("projectId") or "")
            tid, data = line.get("taskId"), line.get("data")
            if project is None or not isinstance(tid, str) or not isinstance(data, dict):
                continue
            if kind == "task_notes":
                project.notes[tid] = data
            elif kind == "task_dates":
                project.dates[tid] = data
            elif kind == "task_assignees":
                if isinstance(data.get("handle"), str):
                    project.assignees.setdefault(tid, []).append(data["handle"])
            else:
                project.field_values[tid] = project.field_values.get(tid, 0) + 1
    return list(projects.values())


@attrs.frozen(slots=True)
class RestorePlan:
    """What a restore sends at most: projects, tasks and requests per operation."""

    projects: int
    tasks: int
    requests: dict[str, int]

    @property
    def total(self) -> int:
        """Requests in all."""
        return sum(self.requests.values())

    def seconds(self, rate: float | None) -> float | None:
        """How long the requests take at ``rate`` per second (None: no rate given)."""
        return None if not rate else self.total / rate

    def as_json(self) -> dict[str, Any]:
        """The plan as JSON."""
        return {"projects": self.projects, "tasks": self.tasks, "requests": self.requests}


def plan_restore(projects: Sequence[SourceProject]) -> RestorePlan:
    """The requests a restore of ``projects`` sends, per operation (assignees: at most)."""
    counts = {
        "workspacesGet": 1,
        "folderProjectsGet": 1,  # is the target a folder? (at most)
        "projectCreate": 0,
        "taskCreate": 0,
        "taskComplete": 0,
        "taskNotePut": 0,
        "taskPutDate": 0,
        "projectMembersGet": 0,
        "taskPutAssignees": 0,
        "projectTasksGet": 0,
    }
    for project in projects:
        counts["folderProjectsGet"] += 1
        counts["projectCreate"] += 1
        counts["taskCreate"] += len(tree_batches(project.tasks))
        counts["taskComplete"] += sum(node.completed for node in project.tasks)
        counts["taskNotePut"] += sum(note_problem(n) is None for n in project.notes.values())
        counts["taskPutDate"] += len(project.dates)
        if project.assignees:
            counts["projectMembersGet"] += 1
            counts["taskPutAssignees"] += len(project.assignees)
        counts["projectTasksGet"] += max(1, math.ceil(len(project.tasks) / READ_PAGE))
    return RestorePlan(len(projects), sum(len(p.tasks) for p in projects), counts)
