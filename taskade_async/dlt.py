"""A dlt source for a Taskade account: ``taskade_source(...)`` (extra ``dlt``).

One resource per record kind of the export (``workspaces``, ``folders``,
``projects``, ``fields``, ``members``, ``blocks``, ``tasks``, ``agents``,
``medias`` and, with ``details``, ``task_notes``, ``task_dates``,
``task_assignees``, ``task_field_values``), so one table per kind. Each row is
the server's object with its parents' ids added (``workspace_id``,
``folder_id``, ``project_id``, ``task_id`` once dlt has named the columns);
every resource is ``merge`` on its primary key (``id``, or the parent's id
for kinds that have none). The API has no updated-at field: every load is a
full refresh merged on id. A task that vanished from its project since the
last load is kept with ``_deleted`` true (its other columns empty); every other
task row has ``_deleted`` false.

The resources share one walk of the account, the exporter's, with its request
economy (largest pages, each list requested once). The walk runs on dlt's
event loop and opens its :class:`~taskade_async.Session` there.

Resuming: the source keeps its progress in dlt's state. A round (one full
refresh) is planned once; each run walks ``max_units`` units (folders and
projects) at most and records them done with the data, so after a crash the
next run goes on with the units not yet loaded. :func:`load` runs a pipeline
until the round is complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline
from dlt.sources import DltResource, DltSource

from taskade_async._errors import ValidationError
from taskade_async._retry import RetryPolicy
from taskade_async._session import Session
from taskade_async._settings import resolve_auth
from taskade_async.export._checks import check_positive
from taskade_async.export._discover import discover
from taskade_async.export._records import DETAIL_TYPES, RECORD_TYPES, ItemError, Record, item_id
from taskade_async.export._shard import Shard, check_shard, discover_shard
from taskade_async.export._units import Selection, Unit, run_units
from taskade_async.export._walk import Walker

__all__ = [
    "DELETED",
    "KINDS",
    "PRIMARY_KEYS",
    "load",
    "round_done",
    "state_key",
    "taskade_source",
]

#: The record kinds the source loads (the export's, less ``media_files``).
KINDS: Final = tuple(kind for kind in RECORD_TYPES if kind != "media_files")
#: The primary key of each kind's table (dlt's column names).
PRIMARY_KEYS: Final[Mapping[str, str | tuple[str, ...]]] = {
    "workspaces": "id",
    "folders": "id",
    "projects": "id",
    "fields": "id",
    "members": ("project_id", "handle"),
    "blocks": "id",
    "tasks": "id",
    "task_notes": "task_id",
    "task_dates": "task_id",
    "task_assignees": ("task_id", "handle"),
    "task_field_values": ("task_id", "field_id"),
    "agents": "id",
    "medias": "id",
}
_IN_SPACE: Final = ("workspace_id", "folder_id")
_IN_PROJECT: Final = (*_IN_SPACE, "project_id")
#: The parent id columns of each kind's rows.
_PARENTS: Final[Mapping[str, tuple[str, ...]]] = {
    "workspaces": (),
    "folders": ("workspace_id",),
    "projects": _IN_SPACE,
    "agents": _IN_SPACE,
    "medias": _IN_SPACE,
    **dict.fromkeys(("fields", "members", "blocks", "tasks"), _IN_PROJECT),
    **dict.fromkeys(DETAIL_TYPES, (*_IN_PROJECT, "task_id")),
}
#: The column that marks a task gone from its project.
DELETED: Final = "_deleted"
_CONCURRENCY: Final = 8

_log = logging.getLogger("taskade_async.dlt")
_Batch = list[tuple[str, list[dict[str, Any]]]]


def state_key(shard: Shard | None) -> str:
    """Where in the source's dlt state a shard keeps its progress."""
    return "all" if shard is None else f"shard {shard[0]}/{shard[1]}"


def _detail_kinds(details: bool | Iterable[str]) -> frozenset[str]:
    if details is True:
        return frozenset(DETAIL_TYPES)
    if details is False:
        return frozenset()
    if isinstance(details, str) or not isinstance(details, Iterable):
        raise ValidationError(
            f"details must be True, False or a list of detail kinds, not {details!r}"
        )
    kinds = frozenset(details)
    unknown = kinds - DETAIL_TYPES
    if unknown:
        raise ValidationError(
            f"unknown detail kinds {sorted(unknown)}; choose among {sorted(DETAIL_TYPES)}"
        )
    return kinds


def _row(record: Record) -> dict[str, Any]:
    """The server's object with the parents' ids (which win over a field of the same name)."""
    data = record.data if isinstance(record.data, dict) else {"value": record.data}
    row = {**data, **record.parents}
    if record.type == "tasks":
        row[DELETED] = False
    return row


def _batch(records: Iterable[Record]) -> _Batch:
    """Rows grouped by kind, in order (a page is one kind)."""
    out: _Batch = []
    for record in records:
        if not out or out[-1][0] != record.type:
            out.append((record.type, []))
        out[-1][1].append(_row(record))
    return out


def _counted(plan: dict[str, Any], batch: _Batch) -> _Batch:
    """``batch``, its rows added to the round's counts per kind (deleted tasks not counted)."""
    rows: dict[str, int] = plan["rows"]
    for kind, items in batch:
        if not (items and items[0].get(DELETED)):
            rows[kind] = rows.get(kind, 0) + len(items)
    return batch


class _Done:
    """End of the walk."""


def taskade_source(
    token: str | None = None,
    *,
    base_url: str | None = None,
    details: bool | Iterable[str] = False,
    shard: Shard | None = None,
    workspaces: Iterable[str] = (),
    folders: Iterable[str] = (),
    projects: Iterable[str] = (),
    concurrency: int = _CONCURRENCY,
    rate_limit: float | None = None,
    max_units: int | None = None,
    retry: RetryPolicy | None = None,
) -> DltSource:
    """The account (or the selected part, or one shard of it) as a dlt source.

    ``token`` defaults to ``$TASKADE_TOKEN``, ``base_url`` to
    ``$TASKADE_BASE_URL``. ``details`` adds each task's note, date, assignees
    and field values (one request per task and kind): True for all four, or a
    list of the kinds wanted (``["task_notes"]``). ``shard=(i, n)`` loads the
    i-th of n disjoint parts (``export --shard``'s split); n processes with
    their own pipelines and tokens load the whole account into one dataset.
    ``max_units`` bounds the folders and projects one pipeline run walks (see
    :func:`load`). Items that cannot be read (a project answering 403) are
    recorded in the state (:func:`round_done`), and the load goes on.

    Bad arguments raise :class:`~taskade_async.ValidationError` here, before
    any request.
    """
    resolve_auth(token, None)  # no token: a clear error now, not in dlt's thread
    check_positive("concurrency", concurrency)
    if max_units is not None:
        check_positive("max_units", max_units)
    if rate_limit is not None and (
        isinstance(rate_limit, bool) or not isinstance(rate_limit, int | float) or rate_limit <= 0
    ):
        raise ValidationError(f"rate_limit must be a positive number or None, not {rate_limit!r}")
    detail_kinds = _detail_kinds(details)
    shard = check_shard(shard)
    selection = Selection.of(workspaces, folders, projects)
    options: dict[str, Any] = {
        "details": sorted(detail_kinds),
        "selection": selection.as_json(),
        "shard": list(shard) if shard else None,
    }
    key = state_key(shard)
    kinds = [kind for kind in KINDS if kind not in DETAIL_TYPES or kind in detail_kinds]

    async def walk() -> AsyncIterator[_Batch]:
        mine: dict[str, Any] = dlt.current.source_state().setdefault(key, {})
        async with Session(
            token,
            base_url=base_url,
            max_connections=concurrency,
            rate_limit=rate_limit,
            retry=retry,
        ) as session:
            plan = mine.get("round")
            if plan is None or plan.get("options") != options:
                errors: list[ItemError] = []
                held: list[Record] = []

                async def hold(records: list[Record]) -> None:
                    held.extend(records)

                units = await discover_shard(
                    discover, session, selection, hold, errors.append, shard
                )
                plan = {
                    "options": options,
                    "started": _now(),
                    "units": [unit.as_json() for unit in units],
                    "done": [],
                    "rows": {},
                    "requests": 0,
                    "errors": [error.as_json() for error in errors],
                }
                mine["round"] = plan
                if held:
                    yield _counted(plan, _batch(held))
            pages = _walk_units(session, plan, mine, detail_kinds, concurrency, max_units)
            async for batch in pages:
                yield _counted(plan, batch)
            plan["requests"] = plan.get("requests", 0) + session.stats.requests
            if len(plan["done"]) == len(plan["units"]):
                mine["last"] = {
                    "started": plan["started"],
                    "finished": _now(),
                    "units": len(plan["units"]),
                    "rows": plan["rows"],
                    "requests": plan["requests"],
                    "errors": plan["errors"],
                }
                mine["round"] = None

    @dlt.source(name="taskade", root_key=False)
    def source() -> Iterator[DltResource]:
        walker = dlt.resource(walk, name="walk", selected=False)
        yield walker
        for kind in kinds:
            yield _kind_resource(kind, walker)

    made: DltSource = source()
    return made


def _kind_resource(kind: str, walker: DltResource) -> DltResource:
    def pick(batch: _Batch) -> Iterator[list[dict[str, Any]]]:
        for found, rows in batch:
            if found == kind:
                yield rows

    # Parent ids typed up front: a column that is null in every row (folder_id of a
    # workspace's own projects) would otherwise not be created at all.
    columns: dict[str, Any] = {name: {"data_type": "text"} for name in _PARENTS[kind]}
    if kind == "tasks":
        columns[DELETED] = {"data_type": "bool"}
    resource: DltResource = dlt.transformer(
        pick,
        data_from=walker,
        name=kind,
        primary_key=PRIMARY_KEYS[kind],
        write_disposition="merge",
        columns=columns,
    )
    return resource


async def _walk_units(
    session: Session,
    plan: dict[str, Any],
    mine: dict[str, Any],
    detail_kinds: frozenset[str],
    concurrency: int,
    max_units: int | None,
) -> AsyncIterator[_Batch]:
    """Walk the round's units not done yet (``max_units`` at most), yielding their pages."""
    done = set(plan["done"])
    pending = [Unit.from_json(raw) for raw in plan["units"] if raw["key"] not in done]
    if max_units is not None:
        pending = pending[:max_units]
    if not pending:
        return
    known: dict[str, str] = mine.setdefault("tasks", {})
    walker = Walker(
        session,
        bool(detail_kinds),
        asyncio.Semaphore(concurrency),
        detail_kinds=detail_kinds,
    )
    queue: asyncio.Queue[_Batch | _Done] = asyncio.Queue(maxsize=64)
    failed: list[BaseException] = []

    async def run(unit: Unit) -> None:
        seen: list[str] = []
        problems: list[ItemError] = []

        async def emit(records: list[Record]) -> None:
            seen.extend(
                tid for r in records if r.type == "tasks" and (tid := item_id(r.data)) is not None
            )
            await queue.put(_batch(records))

        await walker.run(unit, emit, problems.append)
        if unit.kind == "project" and not any(p.what in ("project", "tasks") for p in problems):
            gone = set(known.get(unit.id, "").split()) - set(seen)
            if gone:
                parents = {**unit.parents, "projectId": unit.id}
                rows = [{"id": tid, **parents, DELETED: True} for tid in sorted(gone)]
                await queue.put([("tasks", rows)])
            known[unit.id] = " ".join(seen)
        plan["errors"].extend(problem.as_json() for problem in problems)
        plan["done"].append(unit.key)

    async def produce() -> None:
        try:
            await run_units(pending, concurrency, run)
        except Exception as exc:  # handed to the consumer, raised there
            failed.append(exc)
        await queue.put(_Done())

    producer = asyncio.create_task(produce())
    try:
        while not isinstance(batch := await queue.get(), _Done):
            yield batch
        if failed:
            raise failed[0]
    finally:
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def round_done(pipeline: Pipeline, shard: Shard | None = None) -> dict[str, Any] | None:
    """The last complete round of ``pipeline`` (units, errors, times), or None while one runs."""
    state = pipeline.state.get("sources", {}).get("taskade", {}).get(state_key(shard), {})
    if state.get("round") is not None:
        return None
    last: dict[str, Any] | None = state.get("last")
    return last


def load(
    pipeline: Pipeline,
    *,
    max_units: int = 20,
    loader_file_format: Any = None,
    **source_options: Any,
) -> list[LoadInfo]:
    """Run ``pipeline`` on :func:`taskade_source` until a whole round is loaded.

    Each run walks ``max_units`` folders and projects at most and commits
    them with dlt's state, so a crash loses at most one run's work: call
    ``load`` again and it goes on where the last committed run stopped (a
    round that had finished starts a new full refresh). Returns each run's
    ``LoadInfo``. ``loader_file_format`` goes to
    ``pipeline.run`` (``"jsonl"`` loads DuckDB about ten times faster than its
    default).
    """
    check_positive("max_units", max_units)
    taskade_source(max_units=max_units, **source_options)  # bad options: an error first
    shard = check_shard(source_options.get("shard"))
    infos: list[LoadInfo] = []
    if pipeline.has_pending_data:
        # What a crash left: load it first. A package a kill cut in half cannot be;
        # then the local state goes, the destination's comes back, and the units
        # that package held (not done there) are walked again.
        try:
            infos.append(pipeline.run(loader_file_format=loader_file_format))
        except PipelineStepFailed as exc:
            _log.warning("dropping what an interrupted run left (%s); its units go again", exc)
            pipeline.drop()
    while True:
        # A run after a crash may only load the packages the crash left (dlt's rule);
        # the loop then goes on with the units not yet loaded.
        source = taskade_source(max_units=max_units, **source_options)
        infos.append(pipeline.run(source, loader_file_format=loader_file_format))
        state = pipeline.state.get("sources", {}).get("taskade", {}).get(state_key(shard), {})
        if state.get("round") is None:
            return infos
