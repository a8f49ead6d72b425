"""``export()`` (files, checkpoint, manifest) and ``iter_records()`` (a stream of records)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import platform
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import aiohttp
import attrs

from taskade_async._errors import TaskadeError, ValidationError
from taskade_async._version import __version__
from taskade_async.export._checks import check_flag, check_out_dir, check_positive, flags
from taskade_async.export._discover import discover
from taskade_async.export._heal import DISCOVERY, rebuild_checkpoint
from taskade_async.export._manifest import FORMAT, Manifest, MediaStat
from taskade_async.export._patch import load_patch, run_patch
from taskade_async.export._progress import NO_PROGRESS, Progress
from taskade_async.export._records import (
    DETAIL_TYPES,
    MEDIA_TYPES,
    RECORD_TYPES,
    Emit,
    ItemError,
    Record,
)
from taskade_async.export._shard import check_shard, discover_shard
from taskade_async.export._store import STATE_DIR, ExportState, FileStat, UnitWriter
from taskade_async.export._units import Selection, Unit, run_units
from taskade_async.export._walk import Walker, file_sha256

if TYPE_CHECKING:
    from taskade_async._session import Session

__all__ = ["ExportError", "export", "finished_export", "iter_records"]

_T = TypeVar("_T")
DEFAULT_CONCURRENCY: Final = 8


class ExportError(TaskadeError):
    """The export cannot start or go on (bad output folder, options that do not match)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def finished_export(out_dir: str | os.PathLike[str]) -> Manifest | None:
    """The manifest of the complete export in ``out_dir``, or None if there is none.

    An export is complete once ``manifest.json`` is written and the
    checkpoint is gone.
    """
    out = Path(out_dir)
    if (out / STATE_DIR).exists() or not (out / "manifest.json").is_file():
        return None
    try:
        return Manifest.load(out)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExportError(f"{out / 'manifest.json'} is not an export's manifest ({exc})") from exc


def _emitter(writer: UnitWriter, progress: Progress) -> Emit:
    async def emit(records: list[Record]) -> None:
        writer.write_many(records)
        for record in records:
            progress.record(record.type)

    return emit


def _prepare(state: ExportState, resume: bool) -> Manifest | None:
    """Check and create the output folder; the manifest if a resumed export had finished.

    With ``resume``, an absent or empty folder starts a new export, so one
    command serves the first run and every run after a crash.
    """
    out = state.out_dir
    if resume and state.exists():
        state.create()  # idempotent: completes a checkpoint a crash left half-made
        return None
    finished = finished_export(out) if resume else None
    if finished is not None:
        return finished  # checked by the caller before anything is rewritten
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: not a folder")
    if out.exists() and any(out.iterdir()):
        if state.exists():
            raise ExportError(f"{out}: holds an interrupted export; continue it with --resume")
        if (out / "manifest.json").is_file():
            raise ExportError(f"{out}: holds a finished export; export into another folder")
        raise ExportError(f"{out}: not an empty folder, and no export to continue with --resume")
    out.mkdir(parents=True, exist_ok=True)
    state.create()
    return None


def _same_run(
    out: Path,
    plan: dict[str, Any],
    origin: str,
    options: dict[str, Any],
    what: str = "interrupted",
) -> None:
    """Refuse to resume against another server, or with other options, than the export's."""
    source = plan.get("source")
    if source != origin:
        again = "--demo" if source == "demo" else f"--base-url {source}"
        raise ExportError(
            f"{out}: the {what} export read {source}, this run reads {origin}; "
            f"run --resume against the same server ({again})"
        )
    if plan.get("options") != options:
        raise ExportError(
            f"{out}: the {what} export ran with {flags(plan.get('options') or {})}, "
            f"this run with {flags(options)}; run --resume with the same options"
        )


def _save_run(state: ExportState, figures: dict[str, Any], failing: bool) -> None:
    """Remember this run's figures; while a failure propagates, a full disk does not mask it."""
    if not state.exists():
        return
    try:
        state.append_run(figures)
    except OSError:
        if not failing:
            raise


async def _whole(step: Callable[[], object]) -> None:
    """Run a blocking file step in a worker thread, off the event loop.

    A cancel waits for the step to end before it propagates, so the step is
    never cut off half-way (a unit lands whole, the checkpoint goes whole).
    """
    done = asyncio.ensure_future(asyncio.to_thread(step))
    try:
        await asyncio.shield(done)
    except asyncio.CancelledError:
        await asyncio.wait({done})
        raise


async def _commit(writer: UnitWriter) -> None:
    """Commit a unit in a worker thread; a cancel waits for it, so the unit lands whole."""
    await _whole(writer.commit)


async def export(
    session: Session,
    out_dir: str | os.PathLike[str],
    *,
    details: bool = False,
    media: bool = False,
    workspaces: Iterable[str] = (),
    folders: Iterable[str] = (),
    projects: Iterable[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    resume: bool = False,
    progress: Progress | None = None,
    source: str | None = None,
    shard: tuple[int, int] | None = None,
) -> Manifest:
    """Export the account (or the selected part) into ``out_dir``; return the manifest.

    Writes one ``<type>.jsonl`` per record type and ``manifest.json``. Units of
    work (each folder, each project) run ``concurrency`` at a time and are
    checkpointed as they finish, so an interrupted export (cancelled, killed)
    continues with ``resume=True`` and ends with the same files as an
    uninterrupted one. Items that fail (a project answering 403/404, a task
    note that cannot be read) are listed in ``Manifest.errors``; the export goes
    on. ``out_dir`` must be empty or absent. With ``resume=True`` it may also
    hold an interrupted export, which goes on, or a finished one. A finished
    export is first checked against this call (the same server or ``source``,
    the same options; else :class:`ExportError` and nothing is rewritten).
    If it is complete, its manifest is returned without a request or a file
    rewritten; if it lists failed items, the units holding them (a project,
    a folder; everything when discovery failed) are fetched again and the
    files rewritten as a clean export's would be. The same call serves a
    first run, a run after a crash and every nightly run after that.

    ``concurrency`` bounds the units in progress and the per-task requests in
    flight; a unit also reads its lists side by side. For a hard cap on all
    requests in flight, size the session's pool, ``Session(max_connections=N)``,
    as the command line does.

    ``shard=(i, n)`` exports only the i-th of n disjoint parts of the account
    (see ``taskade-async merge``).

    ``source`` names the account in the checkpoint (default: the session's base
    URL); a resume must name the same one.

    Raises :class:`~taskade_async.ValidationError` for bad arguments,
    :class:`ExportError` for an unusable ``out_dir`` or a resume that does not
    match, and the TaskadeError or OSError (a full disk) that stopped the
    export (the checkpoint is kept: resume later).
    """
    check_positive("concurrency", concurrency)
    out = check_out_dir(out_dir)
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise ValidationError(f"source must be a non-blank str or None, not {source!r}")
    job = _Job(
        session=session,
        state=ExportState(out),
        origin=source if source is not None else str(session.base_url),
        selection=Selection.of(workspaces, folders, projects),
        details=check_flag("details", details),
        media=check_flag("media", media),
        concurrency=concurrency,
        progress=NO_PROGRESS if progress is None else progress,
        shard=check_shard(shard),
    )
    finished_before = _prepare(job.state, resume)
    if finished_before is not None:
        _same_run(out, _as_plan(finished_before), job.origin, job.options, "finished")
        if finished_before.ok:
            return finished_before  # complete: no request, no file rewritten
        await _whole(lambda: rebuild_checkpoint(job.state, finished_before))
    return await job.run()


def _as_plan(manifest: Manifest) -> dict[str, Any]:
    return {"source": manifest.origin, "options": manifest.options}


@attrs.define(slots=True, kw_only=True)
class _Job:
    """One run of an export, phase by phase: discovery, units, compaction, manifest."""

    session: Session
    state: ExportState
    origin: str
    selection: Selection
    details: bool
    media: bool
    concurrency: int
    progress: Progress
    phases: dict[str, float] = attrs.Factory(dict)
    started_at: str = attrs.Factory(_now)
    started: float = attrs.Factory(time.monotonic)
    finished: bool = False
    before: dict[str, int] = attrs.Factory(dict)
    shard: tuple[int, int] | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The options as the checkpoint and the manifest hold them."""
        return {
            "details": self.details,
            "media": self.media,
            "selection": self.selection.as_json(),
            **({"shard": list(self.shard)} if self.shard else {}),
        }

    @property
    def kinds(self) -> list[str]:
        """The record types this export writes."""
        return [
            kind
            for kind in RECORD_TYPES
            if (self.details or kind not in DETAIL_TYPES)
            and (self.media or kind not in MEDIA_TYPES)
        ]

    def _figures(self) -> dict[str, Any]:
        return {
            "startedAt": self.started_at,
            "seconds": round(time.monotonic() - self.started, 3),
            "complete": self.finished,
            **{k: n - self.before[k] for k, n in attrs.asdict(self.session.stats).items()},
        }

    async def run(self) -> Manifest:
        """Run the phases; the checkpoint keeps this run's figures whatever happens."""
        self.before = attrs.asdict(self.session.stats)
        try:
            units = await self._timed("discovery", self.discovery())
            await self._timed("units", self.units(units))
            files, errors = await self._timed("compaction", self.compaction(units))
            self.finished = True
        except BaseException:
            _save_run(self.state, self._figures(), failing=True)
            raise
        _save_run(self.state, self._figures(), failing=False)
        return await self.conclude(units, files, errors)

    async def _timed(self, phase: str, step: Awaitable[_T]) -> _T:
        mark = time.monotonic()
        result = await step
        self.phases[phase] = round(time.monotonic() - mark, 3)
        return result

    async def discovery(self) -> list[Unit]:
        """The plan: the checkpointed one, else discovered (and checkpointed) now."""
        progress, state = self.progress, self.state
        progress.start("discovery", 1, "steps")
        plan = state.plan(DISCOVERY)
        if plan is None:
            writer = state.writer(DISCOVERY)
            try:
                emit = _emitter(writer, progress)
                args = (self.session, self.selection, emit, writer.error, self.shard)
                units = await discover_shard(discover, *args)
                writer.set_plan(
                    {
                        "format": FORMAT,
                        "source": self.origin,
                        "options": self.options,
                        "units": [u.as_json() for u in units],
                    }
                )
                await _commit(writer)
            except BaseException:
                writer.discard()
                raise
        else:
            _same_run(state.out_dir, plan, self.origin, self.options)
            units = [Unit.from_json(raw) for raw in plan["units"]]
        progress.advance()
        return units

    async def units(self, units: list[Unit]) -> None:
        """Run the units not yet checkpointed, ``concurrency`` at a time."""
        progress, state = self.progress, self.state
        pending = [unit for unit in units if not state.done(unit.key)]
        progress.start("export", len(units))
        progress.advance(len(units) - len(pending))
        walker = Walker(
            self.session,
            self.details,
            asyncio.Semaphore(self.concurrency),
            media_root=state.out_dir / "media" if self.media else None,
        )

        async def run(unit: Unit) -> None:
            patch = await asyncio.to_thread(load_patch, state, unit.key)
            writer = state.writer(unit.key)
            try:
                if patch is None:
                    await walker.run(unit, _emitter(writer, progress), writer.error)
                else:  # a healing resume: only the failed task details are fetched
                    await run_patch(walker, unit, patch, writer)
            except BaseException:
                writer.discard()
                raise
            await _commit(writer)
            progress.advance()

        await run_units(pending, self.concurrency, run)

    async def compaction(self, units: list[Unit]) -> tuple[dict[str, FileStat], list[ItemError]]:
        """Write the ``<type>.jsonl`` files from the units, in the plan's order."""
        kinds = self.kinds
        self.progress.start("compaction", len(kinds), "files")
        keys = [DISCOVERY, *(unit.key for unit in units)]
        found = await asyncio.to_thread(self.state.compact, kinds, keys)
        self.progress.advance(len(kinds))
        return found

    async def conclude(
        self, units: list[Unit], files: dict[str, FileStat], errors: list[ItemError]
    ) -> Manifest:
        """Write the manifest, then drop the checkpoint: the export is complete."""
        state, session = self.state, self.session
        runs = state.runs()
        media = await asyncio.to_thread(media_stats, state.out_dir) if self.media else {}
        manifest = Manifest(
            version=__version__,
            python=platform.python_version(),
            aiohttp=aiohttp.__version__,
            base_url=str(session.base_url),
            source=self.origin,
            options=self.options,
            started_at=runs[0]["startedAt"] if runs else self.started_at,
            finished_at=_now(),
            duration_seconds=round(sum(float(r.get("seconds", 0)) for r in runs), 3),
            runs=sum(int(r.get("runs", 1)) for r in runs),
            phases=self.phases,
            units=len(units),
            files=files,
            media=media,
            requests=sum(int(r.get("requests", 0)) for r in runs),
            retries=sum(int(r.get("retries", 0)) for r in runs),
            rate_limited=sum(int(r.get("rate_limited", 0)) for r in runs),
            errors=errors,
            plan=[unit.as_json() for unit in units] if errors else None,
        )
        # Blocking disk work (fsyncs, deleting the checkpoint's files) stays off the loop.
        await _whole(lambda: manifest.save(state.out_dir))
        await _whole(state.remove)
        return manifest


def media_stats(out: Path) -> dict[str, MediaStat]:
    """Size and SHA-256 of each media file ``media_files.jsonl`` lists (blocking)."""
    path = out / "media_files.jsonl"
    stats: dict[str, MediaStat] = {}
    if not path.is_file():
        return stats
    for line in io.BytesIO(path.read_bytes()):
        data = json.loads(line).get("data") or {}
        name = data.get("path")
        if not isinstance(name, str):
            continue
        digest = data.get("sha256")
        if not isinstance(digest, str):
            digest = file_sha256(out / name)
        stats[name] = MediaStat(bytes=int(data.get("bytes", 0)), sha256=digest)
    return stats


class _Done:
    """End of the record stream."""


async def iter_records(
    session: Session,
    *,
    details: bool = False,
    workspaces: Iterable[str] = (),
    folders: Iterable[str] = (),
    projects: Iterable[str] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    errors: list[ItemError] | None = None,
) -> AsyncIterator[Record]:
    """Yield every exported record as it arrives, for streaming into your own store.

    Units run ``concurrency`` at a time, so records of different projects
    interleave; within one list they keep the server's order. Items that could
    not be exported are appended to ``errors`` (when given) instead of
    stopping the stream. Leaving the ``async for`` early stops the walk.
    """
    check_positive("concurrency", concurrency)
    selection = Selection.of(workspaces, folders, projects)
    queue: asyncio.Queue[list[Record] | _Done] = asyncio.Queue(maxsize=64)
    failed: list[BaseException] = []
    on_error = errors.append if errors is not None else (lambda _error: None)

    async def produce() -> None:
        try:
            units = await discover(session, selection, queue.put, on_error)
            walker = Walker(session, details, asyncio.Semaphore(concurrency))

            async def run(unit: Unit) -> None:
                await walker.run(unit, queue.put, on_error)

            await run_units(units, concurrency, run)
        except Exception as exc:  # handed to the consumer, raised there
            failed.append(exc)
        await queue.put(_Done())

    producer = asyncio.create_task(produce())
    try:
        while not isinstance(batch := await queue.get(), _Done):
            for record in batch:
                yield record
        if failed:
            raise failed[0]
    finally:
        if not producer.done():
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
