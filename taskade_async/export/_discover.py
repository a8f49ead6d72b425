"""Discovery: list workspaces, folders and projects, and plan the units of work."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, Literal

import attrs

from taskade_async._errors import TaskadeError
from taskade_async._pagination import Pager
from taskade_async.api import folders, me, workspaces
from taskade_async.export._records import Emit, ItemError, OnError, Record, item_id
from taskade_async.export._units import Selection, Unit

if TYPE_CHECKING:
    from taskade_async._session import Session

__all__ = ["Listing", "Plan", "Space", "discover", "list_account", "plan_units"]

PAGE = 100


async def _raw_pages(pager: Pager[Any]) -> list[Any]:
    out: list[Any] = []
    async for page in pager.pages():
        out.extend(page.raw)
    return out


async def discover(
    session: Session, selection: Selection, emit: Emit, error: OnError
) -> list[Unit]:
    """List workspaces, folders and projects; emit the workspace and folder records.

    Returns the units to run, in walk order (see :func:`plan_units`). Raises
    TaskadeError when even the workspaces cannot be listed (nothing can be
    exported then); other lists that fail are errors, and discovery goes on.
    """
    listing = await list_account(session, selection, error)
    plan = plan_units(selection, listing)
    for item in plan.errors:
        error(item)
    await emit(plan.records)
    return plan.units


async def list_account(session: Session, selection: Selection, error: OnError) -> Listing:
    """List the workspaces, folders and projects the selection needs, side by side."""
    op = workspaces.WORKSPACES_GET

    async def folders_of(wid: str) -> list[tuple[str, Any]]:
        fop = workspaces.WORKSPACE_FOLDERS_GET
        try:
            items = await _raw_pages(workspaces.list_folders(session, wid).raw())
        except TaskadeError as exc:
            error(
                ItemError.from_exception(
                    "folders", wid, {"workspaceId": wid}, fop.operation_id, exc
                )
            )
            return []
        out = []
        for raw in items:
            fid = item_id(raw)
            if raw is None:
                continue
            if fid is None:
                error(
                    ItemError(
                        "folders", None, {"workspaceId": wid}, fop.operation_id, "no usable id"
                    )
                )
            elif selection.folder(fid):
                out.append((fid, raw))
        return out

    async def projects_of(wid: str, sid: str) -> list[Any]:
        pop = folders.FOLDER_PROJECTS_GET
        parents = {"workspaceId": wid, "folderId": None if sid == wid else sid}
        try:
            return await _raw_pages(folders.list_projects(session, sid).raw())
        except TaskadeError as exc:
            error(ItemError.from_exception("projects", sid, parents, pop.operation_id, exc))
            return []

    async def my_projects() -> list[Any]:
        mop = me.ME_PROJECTS_GET
        if selection.narrowed:
            return []
        try:
            return await _raw_pages(me.list_projects(session, limit=PAGE).raw())
        except TaskadeError as exc:
            error(ItemError.from_exception("projects", None, {}, mop.operation_id, exc))
            return []

    # The unfiled projects need no workspace: list them while the workspaces and
    # folders are walked, so discovery takes as long as its longer chain, not both.
    mine_task = asyncio.ensure_future(my_projects())
    try:
        listed = [
            raw for raw in await _raw_pages(workspaces.list(session).raw()) if raw is not None
        ]
        listed_workspaces: list[tuple[str, Any]] = []
        for raw in listed:
            wid = item_id(raw)
            if wid is None:
                error(
                    ItemError("workspaces", None, {}, op.operation_id, "an item has no usable id")
                )
            elif selection.workspace(wid):
                listed_workspaces.append((wid, raw))
        folder_lists = await asyncio.gather(*(folders_of(wid) for wid, _ in listed_workspaces))
        # A workspace is a space too: it holds projects, agents and medias of its own.
        space_lists: list[list[tuple[str, Any]]] = [
            ([(wid, None)] if selection.folder(wid) else []) + folders
            for (wid, _), folders in zip(listed_workspaces, folder_lists, strict=True)
        ]
        project_lists = await asyncio.gather(
            *(
                asyncio.gather(*(projects_of(wid, sid) for sid, _ in spaces))
                for (wid, _), spaces in zip(listed_workspaces, space_lists, strict=True)
            )
        )
        mine = await mine_task
    finally:
        if not mine_task.done():
            mine_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mine_task
    return Listing(
        workspaces=listed_workspaces,
        spaces=[
            [Space(sid, fraw, listed) for (sid, fraw), listed in zip(spaces, projects, strict=True)]
            for spaces, projects in zip(space_lists, project_lists, strict=True)
        ],
        mine=mine,
    )


@attrs.frozen(slots=True)
class Space:
    """A listed space: a folder (its listed object) or a workspace's own (``raw`` None)."""

    id: str
    raw: Any
    projects: list[Any]


@attrs.frozen(slots=True, kw_only=True)
class Listing:
    """What discovery listed: workspaces (id, object), their spaces, unfiled projects."""

    workspaces: list[tuple[str, Any]]
    #: Per workspace (same order), its spaces: its own first, then its selected folders.
    spaces: list[list[Space]]
    #: The projects only ``me/projects`` lists (empty when narrowed).
    mine: list[Any] = attrs.Factory(list)


@attrs.frozen(slots=True)
class Plan:
    """The units of work in walk order, the discovery records and the problems found."""

    units: list[Unit]
    records: list[Record]
    errors: list[ItemError]


def plan_units(selection: Selection, listing: Listing) -> Plan:
    """Plan the export from what was listed (pure: no I/O).

    Units come in walk order, workspace by workspace: the workspace's own
    space (agents, medias), its projects, then each folder's unit and its
    projects; last the projects that only ``me/projects`` shows. A project
    listed twice is exported once, under the first place it was seen. Ids the
    selection names that nothing listed are errors.
    """
    units: list[Unit] = []
    seen: set[str] = set()
    records: list[Record] = []
    errors: list[ItemError] = []

    def key() -> str:
        return f"u{len(units) + 1:06d}"

    def claim(raw: Any) -> str | None:
        """The project's id where it is first listed, if the selection takes it."""
        pid = item_id(raw)
        if pid is None or pid in seen:
            return None
        seen.add(pid)
        return pid if selection.project(pid) else None

    for (wid, wraw), spaces in zip(listing.workspaces, listing.spaces, strict=True):
        folder_records: list[Record] = []
        exported = False
        for space in spaces:
            # The workspace's own space (raw None) has no folder: folderId is null.
            parents = {"workspaceId": wid, "folderId": None if space.raw is None else space.id}
            here: list[tuple[Literal["folder", "project"], str]] = []
            if not selection.projects:
                here.append(("folder", space.id))
            for raw in space.projects:
                if (pid := claim(raw)) is not None:
                    here.append(("project", pid))
            if here:
                exported = True
                if space.raw is not None:
                    folder_records.append(Record("folders", {"workspaceId": wid}, space.raw))
                for kind, uid in here:
                    units.append(Unit(key(), kind, uid, parents))
        if exported or not (selection.folders or selection.projects):
            records.append(Record("workspaces", {}, wraw))
            records.extend(folder_records)
    unfiled = {"workspaceId": None, "folderId": None}
    for raw in listing.mine:
        if (pid := claim(raw)) is not None:
            units.append(Unit(key(), "project", pid, unfiled))
    listed_spaces = {space.id for spaces in listing.spaces for space in spaces}
    listed_spaces.update(wid for wid, _ in listing.workspaces)
    missing = (
        (
            "workspace",
            selection.workspaces - {wid for wid, _ in listing.workspaces},
            workspaces.WORKSPACES_GET,
        ),
        ("folder", selection.folders - listed_spaces, workspaces.WORKSPACE_FOLDERS_GET),
        ("project", selection.projects - seen, folders.FOLDER_PROJECTS_GET),
    )
    for what, ids, operation in missing:
        for mid in sorted(ids):
            message = f"no such {what} among those listed"
            errors.append(ItemError(what, mid, {}, operation.operation_id, message))
    return Plan(units, records, errors)
