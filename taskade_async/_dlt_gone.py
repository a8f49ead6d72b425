"""Which records vanished since the last full refresh (pure: no I/O).

A record is gone only where this round proves its absence: the list that held
it was read whole and no longer has it, or its parent is gone. A list that
failed (a 403, a 5xx after retries, a page cut off) proves nothing, so what it
held is kept as it was, and marked on a later round that reads it whole.

What each unit held last time is kept in dlt's state as ``known``: per unit
(``"project:ID"``, ``"folder:ID"``) its parents and, per kind, the key of each
row (the values of :data:`KEY_FIELDS` in the row).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from taskade_async.export._discover import Listing
from taskade_async.export._records import DETAIL_TYPES, ItemError
from taskade_async.export._units import Unit

__all__ = [
    "FOLDER_LISTS",
    "KEY_FIELDS",
    "PROJECT_LISTS",
    "Known",
    "gone_in_unit",
    "key_of",
    "unit_key",
    "vanished_spaces",
    "vanished_units",
]

#: The fields (in the row before dlt names its columns) that key each kind's rows.
KEY_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "workspaces": ("id",),
    "folders": ("id",),
    "projects": ("id",),
    "fields": ("id",),
    "members": ("handle",),
    "blocks": ("id",),
    "tasks": ("id",),
    "task_notes": ("taskId",),
    "task_dates": ("taskId",),
    "task_assignees": ("taskId", "handle"),
    "task_field_values": ("taskId", "fieldId"),
    "agents": ("id",),
    "medias": ("id",),
}
#: The lists a project unit reads, each whole or failed on its own.
PROJECT_LISTS: Final = ("fields", "members", "blocks", "tasks")
#: The lists a folder unit reads.
FOLDER_LISTS: Final = ("agents", "medias")

#: Per kind, the keys of its rows (each a list of strings).
Known = dict[str, list[list[str]]]


def unit_key(kind: str, uid: str) -> str:
    """Where a unit's known rows are kept: the same across rounds (unit keys are not)."""
    return f"{kind}:{uid}"


def key_of(kind: str, row: Mapping[str, Any]) -> list[str] | None:
    """The key of ``row`` (a :data:`KEY_FIELDS` value each), or None if one is missing."""
    values = [row.get(name) for name in KEY_FIELDS[kind]]
    if not all(isinstance(value, str) for value in values):
        return None
    return [str(value) for value in values]


def _as_set(keys: Iterable[Sequence[str]]) -> set[tuple[str, ...]]:
    return {tuple(key) for key in keys}


def gone_in_unit(
    kind: str,
    known: Mapping[str, Sequence[Sequence[str]]],
    seen: Mapping[str, Iterable[Sequence[str]]],
    problems: Sequence[ItemError],
    detail_kinds: frozenset[str],
) -> dict[str, set[tuple[str, ...]]]:
    """Per kind, the keys that ``known`` had and this walk of the unit proves gone.

    ``kind`` is the unit's (``project`` or ``folder``). A project that could not
    be read proves nothing. A list proves its own absences when it was read
    whole; a task's details, when the task list was read whole and that task's
    detail did not fail; all details of a task gone are gone, whether or not
    this round asks for details.
    """
    failed = {p.what for p in problems}
    if kind == "project" and "project" in failed:
        return {}
    lists = PROJECT_LISTS if kind == "project" else FOLDER_LISTS
    gone: dict[str, set[tuple[str, ...]]] = {}
    for name in lists:
        if name not in failed and name in known:
            gone[name] = _as_set(known[name]) - _as_set(seen.get(name, ()))
    if kind != "project" or "tasks" in failed:
        return {k: v for k, v in gone.items() if v}
    tasks_gone = {key[0] for key in gone.get("tasks", set())}
    for name in DETAIL_TYPES:
        if name not in known:
            continue
        missing = _as_set(known[name]) - _as_set(seen.get(name, ()))
        if name in detail_kinds:
            bad = {p.parents.get("taskId") for p in problems if p.what == name}
            gone[name] = {key for key in missing if key[0] not in bad}
        else:
            gone[name] = {key for key in missing if key[0] in tasks_gone}
    return {k: v for k, v in gone.items() if v}


def _blocked(wid: str, errors: Sequence[ItemError]) -> bool:
    """Whether the folders of workspace ``wid`` were not listed whole."""
    return any(
        e.what == "folders" and (e.id == wid or e.parents.get("workspaceId") == wid) for e in errors
    )


def _spaces(listing: Listing) -> dict[str, set[str]]:
    """Per listed workspace, the ids of its listed spaces (its own included)."""
    out: dict[str, set[str]] = {}
    for (wid, _), spaces in zip(listing.workspaces, listing.spaces, strict=True):
        out[wid] = {wid} | {space.id for space in spaces}
    return out


def _space_gone(
    wid: str, sid: str, spaces: Mapping[str, set[str]], errors: Sequence[ItemError]
) -> bool:
    """Whether space ``sid`` of ``wid`` is proven gone (its workspace or its folder)."""
    if wid not in spaces:
        return True  # the workspaces are always listed whole (else discovery fails)
    return sid != wid and not _blocked(wid, errors) and sid not in spaces[wid]


def vanished_units(
    known_units: Mapping[str, Mapping[str, Any]],
    listing: Listing,
    units: Sequence[Unit],
    errors: Sequence[ItemError],
) -> list[str]:
    """The known units (keys of ``known_units``) that this round's discovery proves gone.

    ``units`` are all the units discovery found (before a shard took its
    part), so a unit another shard now holds is not gone. A project is gone when
    no unit has it and the list that held it was read whole (or its folder or
    workspace is gone); a folder's unit when its space is gone.
    """
    present = {unit_key(unit.kind, unit.id) for unit in units}
    spaces = _spaces(listing)
    out: list[str] = []
    for key, entry in known_units.items():
        if key in present:
            continue
        kind, _, uid = key.partition(":")
        parents: Mapping[str, str | None] = entry.get("parents", {})
        wid, fid = parents.get("workspaceId"), parents.get("folderId")
        if wid is None:
            # unfiled: only me/projects lists it
            proven = not any(e.what == "projects" and e.id is None for e in errors)
        else:
            sid = fid or wid
            if kind == "folder":
                proven = _space_gone(wid, uid, spaces, errors)
            else:
                proven = _space_gone(wid, sid, spaces, errors) or (
                    sid in spaces.get(wid, set())
                    and not any(e.what == "projects" and e.id == sid for e in errors)
                )
        if proven:
            out.append(key)
    return out


def vanished_spaces(
    known_workspaces: Iterable[str],
    known_folders: Mapping[str, str],
    listing: Listing,
    errors: Sequence[ItemError],
) -> tuple[list[str], list[str]]:
    """The known workspaces and folders (id to workspace id) proven gone."""
    spaces = _spaces(listing)
    workspaces = sorted(wid for wid in known_workspaces if wid not in spaces)
    folders = sorted(
        fid for fid, wid in known_folders.items() if _space_gone(wid, fid, spaces, errors)
    )
    return workspaces, folders
