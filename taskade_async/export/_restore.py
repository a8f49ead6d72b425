"""``restore()``: an export rebuilt in a folder of any account, crash-safe and verified.

Each exported project becomes a new project (its name) in the folder; its
task tree is built with ``taskCreate`` (exact text, order and nesting; see
:func:`~taskade_async.export._restore_plan.tree_batches`), then completion,
notes, dates and the assignees who are members of the new project. Every
write is journaled (:mod:`~taskade_async.export._journal`): a ``taskCreate``
or ``projectCreate`` whose answer was lost, in this run or one that crashed,
is reconciled by reading the target before it is sent again; the other
writes set a value, so sending them again is harmless. At the end each
project's tree is read back and compared with the export.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from taskade_async._errors import NotFoundError, TaskadeError, TransportError, ValidationError
from taskade_async.api import folders, projects, tasks, workspaces
from taskade_async.export._checks import (
    check_flag,
    check_ids,
    check_out_dir,
    check_positive,
    id_problem,
)
from taskade_async.export._engine import DEFAULT_CONCURRENCY, ExportError
from taskade_async.export._journal import Journal, journal_path
from taskade_async.export._manifest import Manifest
from taskade_async.export._progress import NO_PROGRESS, Progress
from taskade_async.export._restore_plan import (
    READ_PAGE,
    TEXT_LIMIT,
    Node,
    SourceProject,
    note_problem,
    plan_restore,
    read_projects,
    tree_batches,
)
from taskade_async.export._restore_report import NOT_RESTORED, REPORT, RestoreReport, differences
from taskade_async.export._store import atomic_write, dump_json
from taskade_async.export._verify import verify_export

if TYPE_CHECKING:
    from taskade_async._session import Session

__all__ = ["RestoreReport", "checked_export", "restore"]

#: Sends of one write whose answers were lost, before the restore gives up on it.
_RESENDS: Final = 3


class _Conflict(TaskadeError):
    """The target does not hold what the journal and the export say it should."""


async def restore(
    session: Session,
    export_dir: str | os.PathLike[str],
    *,
    folder_id: str,
    projects: Iterable[str] | None = None,
    resume: bool = False,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
) -> RestoreReport:
    """Restore the export in ``export_dir`` as new projects in ``folder_id``; return the report.

    The export is verified first (a damaged one raises :class:`ExportError`
    before anything is sent). ``projects`` picks exported project ids (all by
    default). With ``dry_run`` nothing is sent: the report's ``plan`` says
    what would be. A restore journals every write in
    ``export_dir/.taskade-restore/``; after a crash or an interruption run it
    again with ``resume=True``. Without ``resume`` a restore into a folder
    that already has a journal is refused (:class:`ExportError`). Writes
    ``restore.json`` in ``export_dir`` (totals over every run).
    """
    out = check_out_dir(export_dir)
    problem = id_problem(folder_id)
    if problem is not None:
        raise ValidationError(f"folder_id: {problem}")
    wanted = None if projects is None else check_ids("projects", projects)
    check_flag("resume", resume)
    check_flag("dry_run", dry_run)
    check_positive("concurrency", concurrency)
    manifest, sources = await asyncio.to_thread(checked_export, out, wanted)
    report = RestoreReport(
        export_dir=out,
        folder_id=folder_id,
        base_url=str(session.base_url),
        dry_run=dry_run,
        plan=plan_restore(sources),
    )
    if dry_run:
        return report
    journal = Journal(
        journal_path(out, str(session.base_url), folder_id),
        {"baseUrl": str(session.base_url), "folderId": folder_id},
    )
    if journal.exists() and not resume:
        raise ExportError(
            f"{out}: a restore into folder {folder_id} of {session.base_url} already ran "
            f"(journal {journal.path}); continue it with --resume"
        )
    in_workspace = await _is_workspace(session, folder_id)
    await asyncio.to_thread(journal.open)
    try:
        run = _Run(session, journal, report, manifest, concurrency, progress or NO_PROGRESS)
        run.in_workspace = in_workspace
        await run.all(sources)
    finally:
        journal.close()
    return report


async def _is_workspace(session: Session, folder_id: str) -> bool:
    """Whether ``folder_id`` is a workspace (else a folder); ExportError if it is neither."""
    listed = await session.request(workspaces.WORKSPACES_GET)
    ids = {w.get("id") for w in listed.get("items") or () if isinstance(w, dict)}
    if folder_id in ids:
        return True
    try:
        await session.request(folders.FOLDER_PROJECTS_GET, (folder_id,))
    except NotFoundError:
        raise ExportError(
            f"no folder or workspace {folder_id} in the account at {session.base_url}; "
            "nothing was sent"
        ) from None
    return False


def checked_export(
    export_dir: Path, wanted: frozenset[str] | None = None
) -> tuple[Manifest, list[SourceProject]]:
    """Verify the export and read the projects to restore (blocking).

    Raises :class:`ExportError` for a damaged export or an unknown project id.
    """
    checked = verify_export(export_dir)
    if not checked.ok or checked.manifest is None:
        problems = "; ".join(checked.problems[:5])
        raise ExportError(f"{export_dir}: the export is damaged, nothing was sent ({problems})")
    sources = read_projects(export_dir, wanted)
    missing = sorted((wanted or set()) - {p.id for p in sources})
    if missing:
        raise ExportError(f"{export_dir}: no exported project {', '.join(missing)}")
    return checked.manifest, sources


@attrs.define(slots=True)
class _Run:
    """One run of a restore: projects ``concurrency`` at a time, each one step after another."""

    session: Session
    journal: Journal
    report: RestoreReport
    manifest: Manifest
    concurrency: int
    progress: Progress
    _create_lock: asyncio.Lock = attrs.Factory(asyncio.Lock)
    _slots: asyncio.Semaphore | None = None
    in_workspace: bool = False

    async def all(self, sources: list[SourceProject]) -> None:
        """Restore every project, then write the report (also when stopped part-way)."""
        before, started = attrs.asdict(self.session.stats), time.monotonic()
        self._slots = asyncio.Semaphore(self.concurrency)
        self._skip_kinds(sources)
        self.progress.start("restore", len(sources), "projects")
        try:
            queue = iter(sources)

            async def worker() -> None:
                for source in queue:
                    await self._project(source)
                    self.progress.advance()

            async with asyncio.TaskGroup() as group:
                for _ in range(max(1, min(self.concurrency, len(sources)))):
                    group.create_task(worker())
        except BaseExceptionGroup as failed:
            raise _first(failed) from failed
        finally:
            figures = {k: n - before[k] for k, n in attrs.asdict(self.session.stats).items()} | {
                "seconds": round(time.monotonic() - started, 3)
            }
            self.journal.write({"t": "run", "figures": figures})
            self._totals(sources)
            await asyncio.to_thread(
                atomic_write, self.report.export_dir / REPORT, dump_json(self.report.as_json())
            )

    def _skip_kinds(self, sources: list[SourceProject]) -> None:
        counts = self.manifest.counts
        picked = {p.id for p in sources}
        for kind in ("fields", "blocks", "agents", "medias"):
            if counts.get(kind):
                self.report.skip(kind, NOT_RESTORED[kind], counts[kind])
        values = sum(sum(p.field_values.values()) for p in sources if p.id in picked)
        if values:
            self.report.skip("task_field_values", NOT_RESTORED["task_field_values"], values)
        for source in sources:
            for note in source.notes.values():
                problem = note_problem(note)
                if problem is not None:
                    self.report.skip("task_notes", problem)
        if self.manifest.errors:
            self.report.skip(
                "export errors",
                "items the export could not fetch (listed in manifest.json; "
                "`export --resume` fetches them again)",
                len(self.manifest.errors),
            )
        if not self.manifest.options.get("details"):
            self.report.skip(
                "details", "the export was made without --details: no notes, dates, assignees"
            )

    def _totals(self, sources: list[SourceProject]) -> None:
        state, report = self.journal.state, self.report
        report.projects = {s.id: state.projects[s.id] for s in sources if s.id in state.projects}
        report.restored = {
            "projects": len(report.projects),
            "tasks": sum(
                sum(node.id in state.tasks for node in s.tasks)
                for s in sources
                if s.id in report.projects
            ),
        }
        for kind, _ in sorted(state.details):
            report.restored[kind] = report.restored.get(kind, 0) + 1
        report.mismatches = {k: v for k, v in state.verified.items() if k in report.projects}
        report.runs = len(state.runs)
        report.requests = sum(int(r.get("requests", 0)) for r in state.runs)

    # -- one project ------------------------------------------------------------------

    async def _project(self, source: SourceProject) -> None:
        try:
            for node in source.tasks:
                if len(node.text) > TEXT_LIMIT:
                    raise _Conflict(f"task {node.id} has over {TEXT_LIMIT} characters")
            new = await self._create_project(source)
            await self._tree(source, new)
            await self._details(source, new)
            await self._verify(source, new)
        except TaskadeError as exc:
            self.report.errors.append(f"project {source.id} ({source.name}): {exc}")

    async def _folder_projects(self) -> list[dict[str, Any]]:
        pager = folders.list_projects(self.session, self.report.folder_id).raw()
        found: list[dict[str, Any]] = []
        async for page in pager.pages():
            found.extend(raw for raw in page.raw if isinstance(raw, dict))
        return found

    async def _create_project(self, source: SourceProject) -> str:
        """The new project's id: journaled, adopted after a lost answer, or created now."""
        state = self.journal.state
        async with self._create_lock:  # one at a time: a lost answer is then unambiguous
            if source.id in state.projects:
                return state.projects[source.id]
            before = state.project_intents.get(source.id)
            if before is not None:
                adopted = await self._adopt_project(source, set(before))
                if adopted is not None:
                    return adopted
            for attempt in range(_RESENDS):
                listed = [p.get("id") for p in await self._folder_projects()]
                self.journal.write({"t": "project-intent", "old": source.id, "before": listed})
                try:
                    return await self._send_project(source)
                except TransportError as exc:
                    if not exc.may_have_applied or attempt == _RESENDS - 1:
                        raise
                    adopted = await self._adopt_project(source, {str(i) for i in listed})
                    if adopted is not None:
                        return adopted
            raise AssertionError("unreachable")  # pragma: no cover

    async def _send_project(self, source: SourceProject) -> str:
        """Create the project (in a workspace or a folder); journal and return its id."""
        name = " ".join(source.name.split()) or "Untitled"
        body = {"contentType": "text/markdown", "content": f"# {name}"}
        if self.in_workspace:
            answer = await self.session.request(
                workspaces.WORKSPACE_CREATE_PROJECT, (self.report.folder_id,), json=body
            )
        else:
            answer = await self.session.request(
                projects.PROJECT_CREATE, json={"folderId": self.report.folder_id, **body}
            )
        item = answer.get("item")
        new = item.get("id") if isinstance(item, dict) else None
        if not isinstance(new, str):
            raise _Conflict("projectCreate answered without a project id")
        self.journal.write({"t": "project", "old": source.id, "new": new})
        return new

    async def _adopt_project(self, source: SourceProject, before: set[str]) -> str | None:
        """The project a lost create made (new in the folder, the same name), if any."""
        known = set(self.journal.state.projects.values())
        name = " ".join(source.name.split()) or "Untitled"
        made = [
            p["id"]
            for p in await self._folder_projects()
            if p.get("id") not in before and p.get("id") not in known and p.get("name") == name
        ]
        if len(made) > 1:
            raise _Conflict(f"{len(made)} new projects named {name!r}: cannot tell which is ours")
        if not made:
            return None
        self.journal.write({"t": "project", "old": source.id, "new": made[0]})
        return str(made[0])

    async def _tree(self, source: SourceProject, new_pid: str) -> None:
        """Create the tasks, batch by batch; a lost or unjournaled answer is reconciled first."""
        state = self.journal.state
        for n, batch in enumerate(tree_batches(source.tasks)):
            key = (source.id, n)
            if key in state.batches:
                continue
            if key in state.batch_intents and await self._adopt_batch(source, new_pid, n, batch):
                continue
            await self._send_batch(source, new_pid, n, batch)

    async def _send_batch(
        self, source: SourceProject, new_pid: str, n: int, batch: list[Node]
    ) -> None:
        """Send batch ``n``; after a lost answer, adopt it if the target holds it, else resend."""
        state = self.journal.state
        items = [
            {
                "contentType": "text/plain",
                "content": node.text,
                "placement": "beforeend",
                **({"taskId": state.tasks[node.parent]} if node.parent is not None else {}),
            }
            for node in batch
        ]
        for attempt in range(_RESENDS):
            self.journal.write({"t": "batch-intent", "old": source.id, "n": n})
            try:
                answer = await self.session.request(
                    tasks.TASK_CREATE, (new_pid,), json={"tasks": items}
                )
            except TransportError as exc:
                if not exc.may_have_applied or attempt == _RESENDS - 1:
                    raise
                if await self._adopt_batch(source, new_pid, n, batch):
                    return
                continue  # the target does not hold it: the write did not happen
            made = answer.get("item")
            ids = [t.get("id") for t in made] if isinstance(made, list) else []
            if len(ids) != len(batch) or not all(isinstance(i, str) for i in ids):
                raise _Conflict(f"taskCreate answered {len(ids)} tasks for {len(batch)}")
            self._batch_done(source, n, batch, ids)
            return

    def _batch_done(self, source: SourceProject, n: int, batch: list[Node], ids: list[Any]) -> None:
        self.journal.write(
            {"t": "batch", "old": source.id, "n": n, "items": [t.id for t in batch], "new": ids}
        )
        for _ in batch:
            self.progress.record("tasks")

    async def _adopt_batch(
        self, source: SourceProject, new_pid: str, n: int, batch: list[Node]
    ) -> bool:
        """Whether the target holds batch ``n`` already (then journaled as done).

        For each parent the batch appends to, the target's children after the
        ones already journaled must be exactly the batch's (same texts, same
        order): then they are adopted in that order. None there: the batch
        was not carried out. Anything else is a conflict.
        """
        state = self.journal.state
        children = _children(await self._read_tasks(new_pid))
        known: dict[str | None, int] = {}
        for node in source.tasks:
            if node.id in state.tasks:
                parent = state.tasks[node.parent] if node.parent is not None else None
                known[parent] = known.get(parent, 0) + 1
        wanted: dict[str | None, list[Node]] = {}
        for node in batch:
            parent = state.tasks[node.parent] if node.parent is not None else None
            wanted.setdefault(parent, []).append(node)
        extras = {parent: children.get(parent, [])[known.get(parent, 0) :] for parent in wanted}
        if not any(extras.values()):
            return False
        for parent, nodes in wanted.items():
            found = extras[parent]
            if [t.get("text") for t in found] != [node.text for node in nodes]:
                raise _Conflict(
                    f"the target's tasks under {parent or 'the root'} are not those of batch {n}"
                )
        ids: dict[str, Any] = {}
        for parent, nodes in wanted.items():
            pairs = zip(nodes, extras[parent], strict=True)
            ids.update((node.id, task.get("id")) for node, task in pairs)
        self._batch_done(source, n, batch, [ids[node.id] for node in batch])
        return True

    async def _read_tasks(self, pid: str) -> list[dict[str, Any]]:
        pager = projects.list_tasks(self.session, pid, limit=READ_PAGE).raw()
        found: list[dict[str, Any]] = []
        async for page in pager.pages():
            found.extend(raw for raw in page.raw if isinstance(raw, dict))
        return found

    async def _details(self, source: SourceProject, new_pid: str) -> None:
        """Completion, notes, dates and member assignees, each write journaled when done."""
        state, s = self.journal.state, self.session
        members: set[str] = set()
        if source.assignees:
            pager = projects.list_members(s, new_pid, limit=100).raw()
            async for page in pager.pages():
                members.update(
                    m["handle"] for m in page.raw if isinstance(m, dict) and "handle" in m
                )
        writes: list[tuple[str, str, Any, tuple[str, ...], Any]] = []
        for node in source.tasks:
            new = state.tasks[node.id]
            if node.completed:
                writes.append(("completed", node.id, tasks.TASK_COMPLETE, (new_pid, new), None))
            note = source.notes.get(node.id)
            if note is not None and note_problem(note) is None:
                body = {"type": note["type"], "value": note["value"]}
                writes.append(("task_notes", node.id, tasks.TASK_NOTE_PUT, (new_pid, new), body))
            date = source.dates.get(node.id)
            if date is not None and isinstance(date.get("start"), dict):
                body = {k: date[k] for k in ("start", "end") if isinstance(date.get(k), dict)}
                writes.append(("task_dates", node.id, tasks.TASK_PUT_DATE, (new_pid, new), body))
            handles = source.assignees.get(node.id, [])
            ours = [h for h in handles if h in members]
            if len(ours) < len(handles):
                self.report.skip(
                    "task_assignees",
                    "not a member of the new project",
                    len(handles) - len(ours),
                )
            if ours:
                body = {"handles": ours}
                op = tasks.TASK_PUT_ASSIGNEES
                writes.append(("task_assignees", node.id, op, (new_pid, new), body))
        todo = [w for w in writes if (w[0], w[1]) not in state.details]
        assert self._slots is not None
        slots = self._slots

        async def one(kind: str, tid: str, op: Any, ids: tuple[str, ...], body: Any) -> None:
            async with slots:
                if body is None:
                    await s.request(op, ids)
                else:
                    await s.request(op, ids, json=body)
            self.journal.write({"t": "detail", "kind": kind, "task": tid})

        results = await asyncio.gather(*(one(*w) for w in todo), return_exceptions=True)
        for write, result in zip(todo, results, strict=True):
            if isinstance(result, TaskadeError):
                self.report.errors.append(f"{write[0]} of task {write[1]}: {result}")
            elif isinstance(result, BaseException):
                raise result

    async def _verify(self, source: SourceProject, new_pid: str) -> None:
        """Read the new project's tree back and compare it with the export's."""
        found = await self._read_tasks(new_pid)
        depth: dict[str, int] = {}
        shape: list[tuple[int, str, bool]] = []
        for task in found:
            parent = task.get("parentId")
            d = depth[parent] + 1 if isinstance(parent, str) and parent in depth else 0
            depth[str(task.get("id"))] = d
            shape.append((d, str(task.get("text")), task.get("completed") is True))
        mismatches = differences(source.shape(), shape)
        self.journal.write({"t": "verified", "old": source.id, "mismatches": mismatches})


def _children(found: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    """Each parent id's children (None: the root's), in document order."""
    out: dict[str | None, list[dict[str, Any]]] = {}
    for task in found:
        parent = task.get("parentId")
        out.setdefault(parent if isinstance(parent, str) else None, []).append(task)
    return out


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first
