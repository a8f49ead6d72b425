"""Healing failed task details alone: a project unit patched, not fetched again whole.

When every failed item of a project unit is a task detail (a note, a date,
assignees or field values of one task), a healing ``--resume`` keeps the
unit's lines in ``.taskade-export/patch/<key>.jsonl`` with the list of failed
details, fetches only those, and writes the unit with each new record in its
task's place, so the files end as a clean export's would.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Final

import attrs

from taskade_async.export._records import DETAIL_TYPES, ItemError, Record, encode_line
from taskade_async.export._store import ExportState, UnitWriter, unit_lines

if TYPE_CHECKING:
    from taskade_async.export._units import Unit
    from taskade_async.export._walk import Walker

__all__ = ["Patch", "load_patch", "patch_writer", "run_patch"]

_FOLDER: Final = "patch"


@attrs.frozen(slots=True)
class Patch:
    """A unit's kept lines (tag, line) and the details to fetch again: (kind, task id)."""

    lines: list[tuple[str, bytes]]
    failed: list[tuple[str, str]]


def patchable(errors: list[ItemError]) -> list[tuple[str, str]] | None:
    """The (kind, task id) to fetch again, if every error is a task's detail; else None."""
    out: list[tuple[str, str]] = []
    for error in errors:
        tid = error.parents.get("taskId")
        if error.what not in DETAIL_TYPES or not isinstance(tid, str):
            return None
        out.append((error.what, tid))
    return out


def patch_writer(state: ExportState, key: str) -> UnitWriter:
    """A writer staging unit ``key``'s patch (its lines, then the failed list as its plan)."""
    folder = state.root / _FOLDER
    folder.mkdir(exist_ok=True)
    return UnitWriter(folder / f".{key}.part", folder / f"{key}.jsonl")


def load_patch(state: ExportState, key: str) -> Patch | None:
    """Unit ``key``'s patch, or None (blocking)."""
    path = state.root / _FOLDER / f"{key}.jsonl"
    if not path.is_file():
        return None
    lines: list[tuple[str, bytes]] = []
    failed: list[tuple[str, str]] = []
    for tag, rest in unit_lines(path):
        if tag == b"!plan":
            failed = [(kind, tid) for kind, tid in json.loads(rest)]
        elif not tag.startswith(b"!"):
            lines.append((tag.decode(), rest))
    return Patch(lines, failed)


async def run_patch(walker: Walker, unit: Unit, patch: Patch, writer: UnitWriter) -> None:
    """Fetch the failed details of ``patch`` and stage the whole unit in ``writer``."""
    pid = unit.id
    parents = {**unit.parents, "projectId": pid}
    order: dict[str, int] = {}
    for tag, line in patch.lines:
        if tag == "tasks":
            tid = json.loads(line).get("data", {}).get("id")
            if isinstance(tid, str):
                order.setdefault(tid, len(order))
    wanted: dict[str, set[str]] = defaultdict(set)
    for kind, tid in patch.failed:
        wanted[tid].add(kind)
    new: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
    for tid, kinds in wanted.items():
        tparents = {**parents, "taskId": tid}
        for kind, value in await walker._task_details(pid, tid, frozenset(kinds)):
            if isinstance(value, ItemError):
                writer.error(attrs.evolve(value, parents=tparents))
                continue
            values: list[Any] = [value] if kind in ("task_notes", "task_dates") else value
            for raw in values:
                if raw is not None:
                    line = encode_line(Record(kind, tparents, raw))
                    new[kind].append((order.get(tid, len(order)), line))
    merged: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
    for tag, line in patch.lines:
        if tag in DETAIL_TYPES:
            tid = json.loads(line).get("taskId")
            merged[tag].append((order.get(tid, len(order)) if isinstance(tid, str) else -1, line))
        else:
            writer.write_line(tag, line)
    for kind in set(merged) | set(new):
        # Stable: a task's own records keep their order; the new ones go in their task's place.
        for _, line in sorted(merged[kind] + new[kind], key=lambda pair: pair[0]):
            writer.write_line(kind, line)
