"""A dlt source for a Taskade account: ``taskade_source(...)`` (extra ``dlt``).

One resource per record kind of the export (``workspaces``, ``folders``,
``projects``, ``fields``, ``members``, ``blocks``, ``tasks``, ``agents``,
``medias`` and, with ``details``, ``task_notes``, ``task_dates``,
``task_assignees``, ``task_field_values``), so one table per kind. Each row is
the server's object with its parents' ids added (``workspace_id``,
``folder_id``, ``project_id``, ``task_id`` once dlt has named the columns);
every resource is ``merge`` on its primary key (``id``, or the parent's id
for kinds that have none). The API has no updated-at field: every load is a
full refresh merged on id. A record that vanished since the last load is
kept with ``_deleted`` true (its key and parents' ids, its other columns
empty), where the load proves it gone: the list that held it was read whole
(docs: "Deleted records"); a failed item proves nothing. Every
row the load saw has ``_deleted`` false.

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
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.pipeline import Pipeline
from dlt.sources import DltResource, DltSource

from taskade_async._dlt_gone import (
    FOLDER_LISTS,
    KEY_FIELDS,
    PROJECT_LISTS,
    Known,
    gone_in_unit,
    key_of,
    unit_key,
    vanished_spaces,
    vanished_units,
)
from taskade_async._errors import ValidationError
from taskade_async._retry import RetryPolicy
from taskade_async._session import Session
from taskade_async._settings import resolve_auth
from taskade_async.export._checks import check_positive
from taskade_async.export._discover import Listing, list_account, plan_units
from taskade_async.export._records import (
    DETAIL_TYPES,
    RECORD_TYPES,
    Emit,
    ItemError,
    OnError,
    Record,
    item_id,
)
from taskade_async.export._shard import Shard, check_shard, discover_shard
from taskade_async.export._units import Done, Selection, Unit, run_units, stream
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
#: The column that marks a record gone since the last full refresh.
DELETED: Final = "_deleted"
_CONCURRENCY: Final = 8
#: The kinds whose rows a unit remembers, to tell later which vanished.
_TRACKED: Final = frozenset((*PROJECT_LISTS, *FOLDER_LISTS, *DETAIL_TYPES))

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
    return {**data, **record.parents, DELETED: False}


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

                found: dict[str, Any] = {}

                async def discover_all(
                    session: Session, selection: Selection, emit: Emit, error: OnError
                ) -> list[Unit]:
                    listing = await list_account(session, selection, error)
                    planned = plan_units(selection, listing)
                    for item in planned.errors:
                        error(item)
                    await emit(planned.records)
                    found["listing"], found["units"] = listing, planned.units
                    return planned.units

                units = await discover_shard(
                    discover_all, session, selection, hold, errors.append, shard
                )
                known = _known(mine, {"selection": options["selection"], "shard": options["shard"]})
                gone = _gone_at_discovery(
                    known, found["listing"], found["units"], errors, not selection.folders
                )
                _keep_mine(known, found["units"], units, held)
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
                if gone:
                    yield gone
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
    known_units: dict[str, Any] = mine["known"]["units"]
    walker = Walker(
        session,
        bool(detail_kinds),
        asyncio.Semaphore(concurrency),
        detail_kinds=detail_kinds,
    )
    queue: asyncio.Queue[_Batch | Done] = asyncio.Queue(maxsize=64)

    async def run(unit: Unit) -> None:
        seen: dict[str, list[list[str]]] = {}
        problems: list[ItemError] = []

        async def emit(records: list[Record]) -> None:
            batch = _batch(records)
            for kind, rows in batch:
                if kind in _TRACKED:
                    keys = seen.setdefault(kind, [])
                    keys.extend(key for row in rows if (key := key_of(kind, row)) is not None)
            await queue.put(batch)

        await walker.run(unit, emit, problems.append)
        ukey = unit_key(unit.kind, unit.id)
        old: Known = known_units.get(ukey, {}).get("kinds", {})
        gone = gone_in_unit(unit.kind, old, seen, problems, detail_kinds)
        parents = dict(unit.parents)
        if unit.kind == "project":
            parents["projectId"] = unit.id
        for kind, keys in sorted(gone.items()):
            await queue.put([_deleted_rows(kind, keys, parents)])
        kinds: Known = {}
        for kind in sorted(set(old) | set(seen)):
            keys = {tuple(key) for key in old.get(kind, ())} - gone.get(kind, set())
            keys.update(tuple(key) for key in seen.get(kind, ()))
            kinds[kind] = [list(key) for key in sorted(keys)]
        known_units[ukey] = {"parents": dict(unit.parents), "kinds": kinds}
        plan["errors"].extend(problem.as_json() for problem in problems)
        plan["done"].append(unit.key)

    async for batch in stream(queue, lambda: run_units(pending, concurrency, run)):
        yield batch


def _deleted_rows(
    kind: str, keys: Iterable[Sequence[str]], parents: Mapping[str, str | None]
) -> tuple[str, list[dict[str, Any]]]:
    """Rows that mark ``keys`` of ``kind`` gone: parents and key, ``_deleted`` true."""
    fields = KEY_FIELDS[kind]
    rows = [{**parents, **dict(zip(fields, key, strict=True)), DELETED: True} for key in keys]
    return kind, sorted(rows, key=lambda row: [str(row[f]) for f in fields])


def _known(mine: dict[str, Any], cover: dict[str, Any]) -> dict[str, Any]:
    """What the last rounds loaded, kept while the selection and shard stay the same."""
    mine.pop("tasks", None)  # the task ids an older version kept
    known = mine.get("known")
    if not isinstance(known, dict) or known.get("cover") != cover:
        known = {"cover": cover, "units": {}, "workspaces": [], "folders": {}}
        mine["known"] = known
    return known


def _gone_at_discovery(
    known: dict[str, Any],
    listing: Listing,
    units: Sequence[Unit],
    errors: Sequence[ItemError],
    projects: bool,
) -> _Batch:
    """Deleted rows for the workspaces, folders, projects and all they held, proven gone.

    ``projects`` False (a folder selection) leaves projects that left the
    covered folders alone: a move and a deletion look the same from there.
    """
    out: _Batch = []
    units_known: dict[str, Any] = known["units"]
    for key in vanished_units(units_known, listing, units, errors):
        kind, _, uid = key.partition(":")
        if kind == "project" and not projects:
            continue
        entry = units_known.pop(key)
        parents = dict(entry["parents"])
        if kind == "project":
            out.append(_deleted_rows("projects", [[uid]], parents))
            parents["projectId"] = uid
        for name, keys in sorted(entry["kinds"].items()):
            if keys:
                out.append(_deleted_rows(name, keys, parents))
    workspaces, folders = vanished_spaces(known["workspaces"], known["folders"], listing, errors)
    if workspaces:
        out.append(_deleted_rows("workspaces", [[wid] for wid in workspaces], {}))
        known["workspaces"] = [wid for wid in known["workspaces"] if wid not in workspaces]
    if folders:
        rows = [
            {"id": fid, "workspaceId": known["folders"].pop(fid), DELETED: True} for fid in folders
        ]
        out.append(("folders", rows))
    return out


def _keep_mine(
    known: dict[str, Any], found: Sequence[Unit], mine: Sequence[Unit], held: Iterable[Record]
) -> None:
    """Keep what this round loads; forget what another shard now holds (it is not gone)."""
    others = {unit_key(u.kind, u.id) for u in found} - {unit_key(u.kind, u.id) for u in mine}
    for key in others & set(known["units"]):
        del known["units"][key]
    workspaces: list[str] = []
    folders: dict[str, str] = {}
    for record in held:
        rid = item_id(record.data)
        if rid is None:
            continue
        if record.type == "workspaces":
            workspaces.append(rid)
        elif record.type == "folders" and (wid := record.parents.get("workspaceId")):
            folders[rid] = wid
    known["workspaces"], known["folders"] = sorted(workspaces), folders


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
