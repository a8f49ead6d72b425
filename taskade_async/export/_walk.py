"""The work of one unit: a folder (agents, medias, files) or a project (everything in it).

Records go, a page at a time, to an ``emit`` coroutine and problems to an
``error`` callback; the engine writes them to files, ``iter_records`` yields
them. Nothing is decoded into models: records hold the server's JSON as received.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

import attrs

from taskade_async._errors import NotFoundError, TaskadeError
from taskade_async._pagination import Pager
from taskade_async._request import Operation
from taskade_async.api import folders, medias, projects, tasks
from taskade_async.export._records import Emit, ItemError, OnError, Parents, Record, item_id
from taskade_async.export._units import Unit

if TYPE_CHECKING:
    from taskade_async._session import Session

__all__ = ["Walker", "file_sha256"]

TASK_PAGE: Final = 1000
PAGE: Final = 100


@attrs.define(slots=True)
class Walker:
    """Runs units against a session, with ``slots`` bounding the per-item requests."""

    session: Session
    details: bool
    slots: asyncio.Semaphore
    #: Where ``media`` files are saved; None: media files are not downloaded.
    media_root: Path | None = None
    #: With ``details``, which detail kinds to fetch (None: all four).
    detail_kinds: frozenset[str] | None = None

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
        """Emit every page of a raw ``pager`` as ``kind`` records; a failure is one error."""
        try:
            async for page in pager.pages():
                items = [raw for raw in page.raw if raw is not None]
                await emit([Record(kind, parents, raw) for raw in items])
                if each_page is not None:
                    await each_page(items)
        except TaskadeError as exc:
            operation = pager.operation.operation_id
            error(ItemError.from_exception(kind, owner, parents, operation, exc))

    async def _project(self, unit: Unit, emit: Emit, error: OnError) -> None:
        """The project, then its fields, members, blocks and tasks (with details).

        The lists are requested at once with the project, so a project costs
        one round trip more than its longest list, not two; their records wait
        until the project itself has arrived. A project that cannot be read
        (403, 404) is one error, and whatever its lists fetched is dropped.
        """
        s, pid = self.session, unit.id
        op = projects.PROJECT_GET
        parents = {**unit.parents, "projectId": pid}
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
            ("fields", projects.list_fields(s, pid).raw(), None),
            ("members", projects.list_members(s, pid, limit=PAGE).raw(), None),
            ("blocks", projects.list_blocks(s, pid, limit=TASK_PAGE).raw(), None),
            ("tasks", projects.list_tasks(s, pid, limit=TASK_PAGE).raw(), details),
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
                payload = await s.request(projects.PROJECT_GET, (pid,))
            except TaskadeError as exc:
                failure = ItemError.from_exception(
                    "project", pid, unit.parents, op.operation_id, exc
                )
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
        ids = [tid for tid in map(item_id, tasks) if tid is not None]
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

    async def _task_details(
        self, pid: str, tid: str, kinds: frozenset[str] | None = None
    ) -> list[tuple[str, Any]]:
        """The task's details (only ``kinds`` if given): (kind, value or ItemError) pairs."""
        s = self.session
        calls: tuple[tuple[str, Operation, Callable[[], Awaitable[Any]]], ...] = (
            (
                "task_notes",
                tasks.TASK_NOTE_GET,
                lambda: _item(s.request(tasks.TASK_NOTE_GET, (pid, tid))),
            ),
            (
                "task_dates",
                tasks.TASK_GET_DATE,
                lambda: _item(s.request(tasks.TASK_GET_DATE, (pid, tid))),
            ),
            (
                "task_assignees",
                tasks.TASK_ASSIGNEES_GET,
                lambda: _page(tasks.list_assignees(s, pid, tid)),
            ),
            (
                "task_field_values",
                tasks.TASK_FIELDS_VALUE_GET,
                lambda: _page(tasks.list_field_values(s, pid, tid)),
            ),
        )
        if self.detail_kinds is not None:
            calls = tuple(call for call in calls if call[0] in self.detail_kinds)

        if kinds is not None:
            calls = tuple(call for call in calls if call[0] in kinds)

        async def one(
            kind: str, op: Operation, fetch: Callable[[], Awaitable[Any]]
        ) -> tuple[str, Any]:
            try:
                async with self.slots:
                    return kind, await fetch()
            except TaskadeError as exc:
                return kind, ItemError.from_exception(kind, tid, {}, op.operation_id, exc)

        found = await asyncio.gather(*(one(*call) for call in calls), return_exceptions=True)
        out: list[tuple[str, Any]] = []
        for (kind, op, _), result in zip(calls, found, strict=True):
            if isinstance(result, TaskadeError):
                out.append((kind, ItemError.from_exception(kind, tid, {}, op.operation_id, result)))
            elif isinstance(result, BaseException):
                raise result
            elif result[1] is not None:
                out.append(result)
        return out

    async def _folder(self, unit: Unit, emit: Emit, error: OnError) -> None:
        s, fid = self.session, unit.id
        parents = unit.parents

        async def downloads(medias: list[Any]) -> None:
            if self.media_root is not None:
                await asyncio.gather(
                    *(self._download(fid, parents, raw, emit, error) for raw in medias)
                )

        async with asyncio.TaskGroup() as group:
            group.create_task(
                self._list(
                    "agents",
                    folders.list_agents(s, fid, limit=PAGE).raw(),
                    parents,
                    fid,
                    emit,
                    error,
                )
            )
            group.create_task(
                self._list(
                    "medias",
                    folders.list_medias(s, fid, limit=PAGE).raw(),
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
        mid = item_id(raw)
        op = medias.MEDIA_DOWNLOAD
        if mid is None:
            error(ItemError("media_files", None, parents, op.operation_id, "media without id"))
            return
        folder = self.media_root / quote(space, safe="") / quote(mid, safe="")
        try:
            async with self.slots:
                download = await medias.download(self.session, mid)
                async with download:
                    name = download.filename or "file"
                    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
                    size = await download.save(folder / name)
                    digest = await asyncio.to_thread(file_sha256, folder / name)
        except TaskadeError as exc:
            error(ItemError.from_exception("media_files", mid, parents, op.operation_id, exc))
            return
        data = {
            "path": (folder / name).relative_to(self.media_root.parent).as_posix(),
            "bytes": size,
            "sha256": digest,
            "contentType": download.content_type,
            "filename": download.filename,
        }
        await emit([Record("media_files", {**parents, "mediaId": mid}, data)])


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, read in chunks (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


async def _item(call: Awaitable[dict[str, Any]]) -> Any:
    """The ``item`` of a raw answer; a 404 is no item (no note, no date: nothing to export)."""
    try:
        payload = await call
    except NotFoundError:
        return None
    return payload.get("item")


async def _page(pager: Pager[Any]) -> list[Any]:
    """The raw items of a one-page list, null entries included (``Page.raw``)."""
    async with contextlib.aclosing(pager.raw().pages()) as pages:
        async for page in pages:
            return page.raw
    return []
