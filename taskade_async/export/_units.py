"""Units of work and the selection that decides which ones exist."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any, Literal, TypeVar

import attrs

from taskade_async.export._checks import check_ids

__all__ = ["Done", "Selection", "Unit", "first_error", "run_units", "stream"]

_T = TypeVar("_T")


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
        """A selection from lists (or other iterables) of ids; bad ids raise ValidationError."""
        return cls(
            check_ids("workspaces", workspaces),
            check_ids("folders", folders),
            check_ids("projects", projects),
        )

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


class Done:
    """The end of a :func:`stream`'s queue."""


async def stream(
    queue: asyncio.Queue[_T | Done], produce: Callable[[], Awaitable[None]]
) -> AsyncIterator[_T]:
    """Run ``produce()`` in a task that puts items on ``queue``; yield them as they come.

    The producer's exception is raised here after the items it put before it;
    leaving the ``async for`` early cancels the producer.
    """
    failed: list[BaseException] = []

    async def run() -> None:
        try:
            await produce()
        except Exception as exc:  # handed to the consumer, raised there
            failed.append(exc)
        await queue.put(Done())

    producer = asyncio.create_task(run())
    try:
        while not isinstance(item := await queue.get(), Done):
            yield item
        if failed:
            raise failed[0]
    finally:
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
