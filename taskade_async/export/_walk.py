"""The walk over an account: discovery, then one unit of work per folder and per project.

Every function here hands records, a batch at a time, to an ``emit`` coroutine and problems to an
``error`` callback; the engine writes them to files, ``iter_records`` yields
them. Nothing is decoded into models: records hold the server's JSON as received.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import quote

import attrs

from taskade_async._errors import APIError, NotFoundError, TaskadeError
from taskade_async._pagination import CursorPager, PagePager, Pager, SinglePager

from ._endpoints import ENDPOINTS
from ._records import ItemError, Record

if TYPE_CHECKING:
    from taskade_async._session import Session

__all__ = ["Selection", "Unit", "Walker", "discover", "first_error", "run_units"]

#: Receives records in batches (a page, or one object); order within a batch is kept.
Emit = Callable[[list[Record]], Awaitable[None]]
OnError = Callable[[ItemError], None]
Parents = Mapping[str, str | None]

TASK_PAGE: Final = 1000
#: The operation behind each list, for error reports.
_LIST_OPERATIONS: Final = {
    "fields": "projectFieldsGet",
    "members": "projectMembersGet",
    "blocks": "projectBlocksGet",
    "tasks": "projectTasksGet",
    "agents": "folderAgentGet",
    "medias": "mediasGet",
}
PAGE: Final = 100


def _identity(raw: Any) -> Any:
    return raw


def _describe(
    what: str, id: str | None, parents: Parents, operation: str, exc: TaskadeError
) -> ItemError:
    status = code = None
    message = str(exc)
    if isinstance(exc, APIError):
        status, code = exc.status, exc.code
        message = exc.message or message
    return ItemError(
        what=what,
        id=id,
        parents=dict(parents),
        operation=operation,
        message=message,
        status=status,
        code=code,
        resume_from=exc.resume_from,
    )


def _item_id(raw: Any) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, str) and value not in ("", ".", ".."):
            return value
    return None


@attrs.frozen(slots=True)
class Selection:
    """Which part of the account to export (empty sets select everything)."""

    workspaces: frozenset[str] = frozenset()
    folders: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        workspaces: Iterable[str] = (),
        folders: Iterable[str] = (),
        projects: Iterable[str] = (),
    ) -> Selection:
        """A selection from any iterables of ids."""
        return cls(frozenset(workspaces), frozenset(folders), frozenset(projects))

    @property
    def narrowed(self) -> bool:
        """Whether a workspace or folder filter is set (so unfiled projects are left out)."""
        return bool(self.workspaces or self.folders)

    def workspace(self, wid: str) -> bool:
        """Whether workspace ``wid`` is walked."""
        return not self.workspaces or wid in self.workspaces

    def folder(self, fid: str) -> bool:
        """Whether folder ``fid`` (of a walked workspace) is walked."""
        return not self.folders or fid in self.folders

    def project(self, pid: str) -> bool:
        """Whether project ``pid`` (of a walked folder) is exported."""
        return not self.projects or pid in self.projects

    def as_json(self) -> dict[str, list[str]]:
        """The selection, sorted, for the checkpoint and the manifest."""
        return {
            "workspaces": sorted(self.workspaces),
            "folders": sorted(self.folders),
            "projects": sorted(self.projects),
        }


@attrs.frozen(slots=True)
class Unit:
    """One unit of work: a folder (agents, medias) or a project (everything in it)."""

    key: str
    kind: Literal["folder", "project"]
    id: str
    parents: Mapping[str, str | None]

    def as_json(self) -> dict[str, Any]:
        """The unit, for the plan."""
        return {"key": self.key, "kind": self.kind, "id": self.id, "parents": dict(self.parents)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Unit:
        """The unit :meth:`as_json` wrote."""
        kind = raw["kind"]
        if kind not in ("folder", "project"):
            raise ValueError(f"unknown unit kind {kind!r}")
        return cls(key=raw["key"], kind=kind, id=raw["id"], parents=dict(raw["parents"]))


async def _raw_pages(pager: Pager[Any]) -> list[Any]:
    out: list[Any] = []
    async for page in pager.pages():
        out.extend(page.raw)
    return out


async def discover(
    session: Session, selection: Selection, emit: Emit, error: OnError
) -> list[Unit]:
    """List workspaces, folders and projects; emit the workspace and folder records.

    Returns the units to run, in walk order, workspace by workspace: the
    workspace's own space (its agents and medias), its projects, then each
    folder's unit and its projects; last the projects that only
    ``me.list_projects`` shows. A project listed twice is exported once, under
    the first place it was seen. Raises TaskadeError when even the workspaces
    cannot be listed (nothing can be exported then).
    """
    op = ENDPOINTS["workspacesGet"]
    spaces = [
        raw
        for raw in await _raw_pages(SinglePager(session, op, (), {}, _identity))
        if raw is not None
    ]
    workspaces: list[tuple[str, Any]] = []
    for raw in spaces:
        wid = _item_id(raw)
        if wid is None:
            error(ItemError("workspaces", None, {}, op.operation_id, "an item has no usable id"))
        elif selection.workspace(wid):
            workspaces.append((wid, raw))

    async def folders_of(wid: str) -> list[tuple[str, Any]]:
        fop = ENDPOINTS["workspaceFoldersGet"]
        try:
            items = await _raw_pages(SinglePager(session, fop, (wid,), {}, _identity))
        except TaskadeError as exc:
            error(_describe("folders", wid, {"workspaceId": wid}, fop.operation_id, exc))
            return []
        out = []
        for raw in items:
            fid = _item_id(raw)
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
        pop = ENDPOINTS["folderProjectsGet"]
        parents = {"workspaceId": wid, "folderId": None if sid == wid else sid}
        try:
            return await _raw_pages(SinglePager(session, pop, (sid,), {}, _identity))
        except TaskadeError as exc:
            error(_describe("projects", sid, parents, pop.operation_id, exc))
            return []

    async def my_projects() -> list[Any]:
        mop = ENDPOINTS["meProjectsGet"]
        if selection.narrowed:
            return []
        try:
            return await _raw_pages(PagePager(session, mop, (), {}, _identity, limit=PAGE))
        except TaskadeError as exc:
            error(_describe("projects", None, {}, mop.operation_id, exc))
            return []

    mine_task = asyncio.ensure_future(my_projects())  # runs while the folders are walked
    try:
        folder_lists = await asyncio.gather(*(folders_of(wid) for wid, _ in workspaces))
        # A workspace is a space too: it holds projects, agents and medias of its own.
        space_lists: list[list[tuple[str, Any]]] = [
            ([(wid, None)] if selection.folder(wid) else []) + folders
            for (wid, _), folders in zip(workspaces, folder_lists, strict=True)
        ]
        project_lists = await asyncio.gather(
            *(
                asyncio.gather(*(projects_of(wid, sid) for sid, _ in spaces))
                for (wid, _), spaces in zip(workspaces, space_lists, strict=True)
            )
        )
        mine = await mine_task
    finally:
        if not mine_task.done():
            mine_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mine_task
    units: list[Unit] = []
    seen: set[str] = set()
    records: list[Record] = []

    def key() -> str:
        return f"u{len(units) + 1:06d}"

    for (wid, wraw), spaces, projects in zip(workspaces, space_lists, project_lists, strict=True):
        folder_records: list[Record] = []
        exported = False
        for (sid, fraw), listed in zip(spaces, projects, strict=True):
            # The workspace's own space (fraw None) has no folder: folderId is null.
            parents = {"workspaceId": wid, "folderId": None if fraw is None else sid}
            here: list[tuple[Literal["folder", "project"], str]] = []
            if not selection.projects:
                here.append(("folder", sid))
            for raw in listed:
                pid = _item_id(raw)
                if pid is None or pid in seen:
                    continue
                seen.add(pid)
                if selection.project(pid):
                    here.append(("project", pid))
            if here:
                exported = True
                if fraw is not None:
                    folder_records.append(Record("folders", {"workspaceId": wid}, fraw))
                for kind, uid in here:
                    units.append(Unit(key(), kind, uid, parents))
        if exported or not (selection.folders or selection.projects):
            records.append(Record("workspaces", {}, wraw))
            records.extend(folder_records)
    unfiled = {"workspaceId": None, "folderId": None}
    for raw in mine:
        pid = _item_id(raw)
        if pid is None or pid in seen:
            continue
        seen.add(pid)
        if selection.project(pid):
            units.append(Unit(key(), "project", pid, unfiled))
    listed_folders = {fid for folders in folder_lists for fid, _ in folders}
    listed_folders.update(wid for wid, _ in workspaces)
    missing = (
        ("workspace", selection.workspaces - {wid for wid, _ in workspaces}, "workspacesGet"),
        ("folder", selection.folders - listed_folders, "workspaceFoldersGet"),
        ("project", selection.projects - seen, "folderProjectsGet"),
    )
    for what, ids, operation in missing:
        for mid in sorted(ids):
            error(ItemError(what, mid, {}, operation, f"no such {what} among those listed"))
    await emit(records)
    return units


@attrs.define(slots=True)
class Walker:
    """Runs units against a session, with ``slots`` bounding the per-item requests."""

    session: Session
    details: bool
    slots: asyncio.Semaphore
    #: Where ``media`` files are saved; None: media files are not downloaded.
    media_root: Path | None = None

    async def run(self, unit: Unit, emit: Emit, error: OnError) -> None:
        """Export one unit; item failures go to ``error``, the unit goes on."""
        if unit.kind == "project":
            await self._project(unit, emit, error)
        else:
            await self._folder(unit, emit, error)

    async def _list(
        self,
        kind: str,
        pager: Pager[Any],
        parents: Parents,
        owner: str,
        emit: Emit,
        error: OnError,
        each_page: Callable[[list[Any]], Awaitable[None]] | None = None,
    ) -> None:
        try:
            async for page in pager.pages():
                items = [raw for raw in page.raw if raw is not None]
                await emit([Record(kind, parents, raw) for raw in items])
                if each_page is not None:
                    await each_page(items)
        except TaskadeError as exc:
            error(_describe(kind, owner, parents, _LIST_OPERATIONS[kind], exc))

    async def _project(self, unit: Unit, emit: Emit, error: OnError) -> None:
        """The project, then its fields, members, blocks and tasks (with details).

        The lists are requested at once with the project, so a project costs
        one round trip more than its longest list, not two; their records wait
        until the project itself has arrived. A project that cannot be read
        (403, 404) is one error, and whatever its lists fetched is dropped.
        """
        s, pid = self.session, unit.id
        op = ENDPOINTS["projectGet"]
        parents = {**unit.parents, "projectId": pid}
        args = (pid,)
        opened = asyncio.Event()
        held: list[ItemError] = []

        async def gated(records: list[Record]) -> None:
            if not opened.is_set():
                await opened.wait()
            await emit(records)

        def gated_error(item: ItemError) -> None:
            (error if opened.is_set() else held.append)(item)

        async def details(tasks: list[Any]) -> None:
            if self.details:
                await self._details(parents, tasks, gated, gated_error)

        lists: list[tuple[str, Pager[Any], Callable[[list[Any]], Awaitable[None]] | None]] = [
            ("fields", SinglePager(s, ENDPOINTS["projectFieldsGet"], args, {}, _identity), None),
            (
                "members",
                PagePager(s, ENDPOINTS["projectMembersGet"], args, {}, _identity, limit=PAGE),
                None,
            ),
            (
                "blocks",
                CursorPager(s, ENDPOINTS["projectBlocksGet"], args, {}, _identity, limit=TASK_PAGE),
                None,
            ),
            (
                "tasks",
                CursorPager(s, ENDPOINTS["projectTasksGet"], args, {}, _identity, limit=TASK_PAGE),
                details,
            ),
        ]
        async with asyncio.TaskGroup() as group:
            running = [
                group.create_task(
                    self._list(kind, pager, parents, pid, gated, gated_error, each_page)
                )
                for kind, pager, each_page in lists
            ]
            failure: ItemError | None = None
            try:
                payload = await s.request(op, args)
            except TaskadeError as exc:
                failure = _describe("project", pid, unit.parents, op.operation_id, exc)
            else:
                item = payload.get("item")
                if isinstance(item, dict):
                    await emit([Record("projects", unit.parents, item)])
                else:
                    failure = ItemError(
                        "project", pid, unit.parents, op.operation_id, "no project object"
                    )
            if failure is not None:
                error(failure)
                for task in running:
                    task.cancel()
                return
            opened.set()
            for item_error in held:
                error(item_error)

    async def _details(
        self, parents: Parents, tasks: list[Any], emit: Emit, error: OnError
    ) -> None:
        """Note, date, assignees and field values of each task, emitted in task order."""
        ids = [tid for tid in map(_item_id, tasks) if tid is not None]
        pid = parents["projectId"]
        assert pid is not None
        results = await asyncio.gather(*(self._task_details(pid, tid) for tid in ids))
        records: list[Record] = []
        for tid, found in zip(ids, results, strict=True):
            tparents = {**parents, "taskId": tid}
            for kind, value in found:
                if isinstance(value, ItemError):
                    error(attrs.evolve(value, parents=tparents))
                elif kind in ("task_notes", "task_dates"):
                    records.append(Record(kind, tparents, value))
                else:
                    records.extend(Record(kind, tparents, raw) for raw in value if raw is not None)
        await emit(records)

    async def _task_details(self, pid: str, tid: str) -> list[tuple[str, Any]]:
        calls = (
            ("task_notes", "taskNoteGet", "item"),
            ("task_dates", "taskGetDate", "item"),
            ("task_assignees", "taskAssigneesGet", "items"),
            ("task_field_values", "taskFieldsValueGet", "items"),
        )

        async def one(kind: str, operation: str, key: str) -> tuple[str, Any]:
            op = ENDPOINTS[operation]
            try:
                async with self.slots:
                    payload = await self.session.request(op, (pid, tid))
            except NotFoundError:
                if key == "item":  # no note / no date: nothing to export
                    return kind, None
                raise
            except TaskadeError as exc:
                return kind, _describe(kind, tid, {}, operation, exc)
            value = payload.get(key)
            if key == "items" and not isinstance(value, list):
                return kind, ItemError(kind, tid, {}, operation, f"no list under {key!r}")
            return kind, value

        found = await asyncio.gather(*(one(*call) for call in calls), return_exceptions=True)
        out: list[tuple[str, Any]] = []
        for (kind, operation, _), result in zip(calls, found, strict=True):
            if isinstance(result, TaskadeError):
                out.append((kind, _describe(kind, tid, {}, operation, result)))
            elif isinstance(result, BaseException):
                raise result
            elif result[1] is not None:
                out.append(result)
        return out

    async def _folder(self, unit: Unit, emit: Emit, error: OnError) -> None:
        s, fid = self.session, unit.id
        parents = unit.parents
        args = (fid,)

        async def downloads(medias: list[Any]) -> None:
            if self.media_root is not None:
                await asyncio.gather(
                    *(self._download(fid, parents, raw, emit, error) for raw in medias)
                )

        async with asyncio.TaskGroup() as group:
            group.create_task(
                self._list(
                    "agents",
                    PagePager(s, ENDPOINTS["folderAgentGet"], args, {}, _identity, limit=PAGE),
                    parents,
                    fid,
                    emit,
                    error,
                )
            )
            group.create_task(
                self._list(
                    "medias",
                    PagePager(s, ENDPOINTS["mediasGet"], args, {}, _identity, limit=PAGE),
                    parents,
                    fid,
                    emit,
                    error,
                    downloads,
                )
            )

    async def _download(
        self, space: str, parents: Parents, raw: Any, emit: Emit, error: OnError
    ) -> None:
        assert self.media_root is not None
        mid = _item_id(raw)
        op = ENDPOINTS["mediaDownload"]
        if mid is None:
            error(ItemError("media_files", None, parents, op.operation_id, "media without id"))
            return
        folder = self.media_root / quote(space, safe="") / quote(mid, safe="")
        try:
            async with self.slots:
                download = await self.session.request(op, (mid,), stream=True)
                async with download:
                    name = download.filename or "file"
                    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
                    size = await download.save(folder / name)
        except TaskadeError as exc:
            error(_describe("media_files", mid, parents, op.operation_id, exc))
            return
        data = {
            "path": (folder / name).relative_to(self.media_root.parent).as_posix(),
            "bytes": size,
            "contentType": download.content_type,
            "filename": download.filename,
        }
        await emit([Record("media_files", {**parents, "mediaId": mid}, data)])


async def run_units(
    units: Collection[Unit], workers: int, run: Callable[[Unit], Awaitable[None]]
) -> None:
    """Run ``run`` over ``units`` with at most ``workers`` at once; the first failure cancels."""
    queue = iter(units)

    async def worker() -> None:
        for unit in queue:
            await run(unit)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(workers, len(units)))):
                group.create_task(worker())
    except BaseExceptionGroup as failed:
        # Callers see the failure itself (e.g. OSError), not task-group wrapping.
        raise first_error(failed) from failed


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf exception of a (nested) exception group."""
    first = group.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first
