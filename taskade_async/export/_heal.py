"""A healing ``--resume``: fetch again the units of a finished export that hold failed items.

A finished export with errors keeps its plan (the units in walk order) in
the manifest. To heal it, the checkpoint is rebuilt from the export's own
files: every record goes back to the unit it came from, each unit without a
failed item is checkpointed as it is, and the units with one are left out,
so the ordinary resume redoes exactly those. The files written at the end
are then those of a clean export. When discovery itself failed (a list of
workspaces, folders or projects), the units were never all known: the whole
export is done again.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from taskade_async.export._manifest import Manifest
from taskade_async.export._patch import patch_writer, patchable
from taskade_async.export._records import ItemError
from taskade_async.export._store import ExportState, UnitWriter
from taskade_async.export._units import Unit

__all__ = ["DISCOVERY", "UnitIndex", "rebuild_checkpoint", "units_to_redo"]

#: The key of the discovery unit in the checkpoint.
DISCOVERY: Final = "discovery"
#: Record types that belong to a project's unit, and those of a folder's unit.
_PROJECT_KINDS: Final = frozenset(
    {
        "projects",
        "project",
        "fields",
        "members",
        "blocks",
        "tasks",
        "task_notes",
        "task_dates",
        "task_assignees",
        "task_field_values",
    }
)
_FOLDER_KINDS: Final = frozenset({"agents", "medias", "media_files"})
_PROJECT_GET: Final = "projectGet"


class UnitIndex:
    """Which unit a record or an error belongs to, from the plan's units."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.projects: dict[str, str] = {}
        self.spaces: dict[tuple[str | None, str | None], str] = {}
        for unit in units:
            if unit.kind == "project":
                self.projects.setdefault(unit.id, unit.key)
            else:
                where = (unit.parents.get("workspaceId"), unit.parents.get("folderId"))
                self.spaces.setdefault(where, unit.key)

    def record(self, kind: str, parents: Mapping[str, Any], data: Any) -> str | None:
        """The unit key of a record (``DISCOVERY`` for workspaces and folders); None: unknown."""
        if kind in ("workspaces", "folders"):
            return DISCOVERY
        if kind == "projects":
            pid = data.get("id") if isinstance(data, dict) else None
            return self.projects.get(pid) if isinstance(pid, str) else None
        if kind in _PROJECT_KINDS:
            pid = parents.get("projectId")
            return self.projects.get(pid) if isinstance(pid, str) else None
        if kind in _FOLDER_KINDS:
            return self.spaces.get((parents.get("workspaceId"), parents.get("folderId")))
        return None

    def error(self, error: ItemError) -> str | None:
        """The unit key of a failed item; None when it comes from discovery (or is unknown)."""
        if error.what == "project" and error.operation == _PROJECT_GET and error.id is not None:
            return self.projects.get(error.id)
        if error.what in _PROJECT_KINDS and error.what not in ("projects", "project"):
            pid = error.parents.get("projectId")
            return self.projects.get(pid) if isinstance(pid, str) else None
        if error.what in _FOLDER_KINDS:
            parents = error.parents
            return self.spaces.get((parents.get("workspaceId"), parents.get("folderId")))
        return None


def units_to_redo(errors: Sequence[ItemError], units: Sequence[Unit]) -> frozenset[str] | None:
    """The keys of the units holding ``errors``; None if discovery must run again."""
    index = UnitIndex(units)
    keys: set[str] = set()
    for error in errors:
        key = index.error(error)
        if key is None:
            return None
        keys.add(key)
    return frozenset(keys)


def rebuild_checkpoint(state: ExportState, finished: Manifest) -> int:
    """Recreate ``state`` from a finished export with errors; return how many units to redo.

    Blocking: call it in a worker thread. Without a usable plan, or when
    discovery failed, only the checkpoint folders are made (all is redone).
    """
    state.create()
    state.append_run(
        {
            "startedAt": finished.started_at,
            "seconds": finished.duration_seconds,
            "complete": True,
            "runs": finished.runs,
            "requests": finished.requests,
            "retries": finished.retries,
            "rate_limited": finished.rate_limited,
        }
    )
    raw_plan = finished.plan
    try:
        units = [Unit.from_json(raw) for raw in raw_plan] if raw_plan is not None else None
    except (KeyError, TypeError, ValueError, AttributeError):
        units = None
    redo = units_to_redo(finished.errors, units) if units is not None else None
    if units is None or redo is None:
        return -1
    keep = {unit.key for unit in units if unit.key not in redo} | {DISCOVERY}
    writers: dict[str, UnitWriter] = {key: state.writer(key) for key in keep}
    # Units whose failures are all task details are patched, not fetched again whole.
    patches: dict[str, list[tuple[str, str]]] = {}
    by_unit: dict[str, list[ItemError]] = {}
    index = UnitIndex(units)
    for error in finished.errors:
        by_unit.setdefault(index.error(error) or "", []).append(error)
    for key, errors in by_unit.items():
        failed = patchable(errors)
        if key in redo and failed is not None:
            patches[key] = failed
            writers[key] = patch_writer(state, key)
    try:
        routed = all(
            _route(state.out_dir / f"{kind}.jsonl", kind, index, writers) for kind in finished.files
        )
        if not routed:  # a record of no known unit: do it all again, lose nothing
            for writer in writers.values():
                writer.discard()
            return -1
        writers[DISCOVERY].set_plan(
            {
                "format": finished.format,
                "source": finished.origin,
                "options": finished.options,
                "units": [unit.as_json() for unit in units],
            }
        )
        # The plan first: from then on a crash only means more units are redone.
        writers[DISCOVERY].commit()
        for key, writer in writers.items():
            if key in patches:
                writer.set_plan(patches[key])
            if key != DISCOVERY:
                writer.commit()
    except BaseException:
        for writer in writers.values():
            writer.abandon()
        raise
    return len(redo)


def _route(path: Path, kind: str, index: UnitIndex, writers: Mapping[str, UnitWriter]) -> bool:
    """Stage each line of ``path`` with its unit (if kept); False if a line has no unit."""
    if not path.is_file():  # a file is missing: the export is damaged
        return False
    for line in io.BytesIO(path.read_bytes()):
        value = json.loads(line)
        key = index.record(kind, value, value.get("data"))
        if key is None:
            return False
        writer = writers.get(key)
        if writer is not None:
            writer.write_line(kind, line)
    return True
