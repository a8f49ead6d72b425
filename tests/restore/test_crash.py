"""A restore stopped at every step boundary, then resumed: exactly one copy of every task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskade_async import Session
from taskade_async.export import _journal, _restore, restore
from taskade_async.testing import FakeTaskade, Fault, FaultKind
from tests.restore._world import RETRY, export_source, same_as_source, target_account


class _Crash(BaseException):
    """The process dies here (nothing after this point runs)."""


def _crash_on_journal(
    monkeypatch: pytest.MonkeyPatch, kind: str, nth: int, *, before: bool
) -> None:
    """Die at the ``nth`` journal entry of ``kind``: before it is written, or just after."""
    seen = 0
    write = _journal.Journal.write

    def crashing(self: _journal.Journal, entry: dict[str, Any]) -> None:
        nonlocal seen
        if entry.get("t") == kind:
            seen += 1
            if seen == nth:
                if not before:
                    write(self, entry)
                raise _Crash
        write(self, entry)

    monkeypatch.setattr(_journal.Journal, "write", crashing)


async def _run_restore(fake: FakeTaskade, out: Path, folder: str, *, resume: bool) -> Any:
    async with Session(fake.token, base_url=fake.base_url, retry=RETRY) as session:
        return await restore(session, out, folder_id=folder, resume=resume)


@pytest.mark.parametrize(
    ("kind", "nth", "before"),
    [
        ("batch-intent", 3, False),  # the intent is journaled, the batch not sent
        ("batch", 5, True),  # the answer came back, the journal never heard of it
        ("project-intent", 2, False),
        ("project", 3, True),  # the project exists, the journal does not know its id
        ("detail", 7, True),
        ("verified", 1, True),
    ],
)
async def test_crash_at_a_step_boundary_then_resume(
    source: tuple[FakeTaskade, Path],
    target: FakeTaskade,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    nth: int,
    before: bool,
) -> None:
    """Killed at a journal step (before or after the line is written), --resume ends with
    exactly one copy of every project and task, and a verified report."""
    src, out = source
    folder = target_account(target)
    with monkeypatch.context() as patch:
        _crash_on_journal(patch, kind, nth, before=before)
        with pytest.raises(_Crash):
            await _run_restore(target, out, folder, resume=False)
    report = await _run_restore(target, out, folder, resume=True)
    assert report.ok, (report.errors, report.mismatches)
    same_as_source(src, target, folder)
    assert report.runs == 2


async def test_crash_after_the_write_reached_the_server_before_its_answer(
    source: tuple[FakeTaskade, Path], target: FakeTaskade, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A taskCreate carried out whose answer was lost, and the process dies before it can
    look: --resume reads the target, adopts the batch and sends it no second time."""
    src, out = source
    folder = target_account(target)
    target.inject(Fault(FaultKind.RESET_AFTER, method="POST", path="*/tasks/"))

    async def die(*args: Any) -> bool:
        raise _Crash

    with monkeypatch.context() as patch:
        patch.setattr(_restore._Run, "_adopt_batch", die)
        with pytest.raises(_Crash):
            await _run_restore(target, out, folder, resume=False)
    report = await _run_restore(target, out, folder, resume=True)
    assert report.ok, (report.errors, report.mismatches)
    same_as_source(src, target, folder)


@pytest.mark.parametrize("path", ["*/tasks/", "/api/v1/projects"])
async def test_lost_answers_are_reconciled_within_the_run(
    source: tuple[FakeTaskade, Path], target: FakeTaskade, path: str
) -> None:
    """Lost answers of taskCreate and projectCreate (carried out, then the connection
    dropped) are reconciled by reading the target: no duplicate, none missing, exit ok."""
    src, out = source
    folder = target_account(target)
    fault = target.inject(Fault(FaultKind.RESET_AFTER, method="POST", path=path, remaining=3))
    report = await _run_restore(target, out, folder, resume=False)
    assert fault.hits == 3
    assert report.ok, (report.errors, report.mismatches)
    same_as_source(src, target, folder)


async def test_a_lost_write_the_server_never_made_is_sent_again(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """A connection dropped before the server acted: the target holds nothing new, so the
    batch and the project creation are sent again, once each."""
    src, out = source
    folder = target_account(target)
    tasks_fault = target.inject(Fault(FaultKind.RESET, method="POST", path="*/tasks/"))
    project_fault = target.inject(Fault(FaultKind.RESET, method="POST", path="/api/v1/projects"))
    report = await _run_restore(target, out, folder, resume=False)
    assert (tasks_fault.hits, project_fault.hits) == (1, 1)
    assert report.ok, (report.errors, report.mismatches)
    same_as_source(src, target, folder)


async def test_reconciliation_among_identical_siblings_adopts_by_position(
    tmp_path: Path, target: FakeTaskade, monkeypatch: pytest.MonkeyPatch
) -> None:
    """45 root tasks with the same text, every fifth completed: a crash before the second
    batch's result is journaled, then --resume adopts tasks 21-40 (not the first twenty)
    and completes the right ones."""
    async with FakeTaskade() as src:
        ws = src.add_workspace("S")
        twins = src.add_project(ws, "Twins")
        for i in range(45):
            src.add_task(twins, "Same", completed=i % 5 == 0)
        out = tmp_path / "export"
        await export_source(src, out)
        folder = target_account(target)
        with monkeypatch.context() as patch:
            _crash_on_journal(patch, "batch", 2, before=True)
            with pytest.raises(_Crash):
                await _run_restore(target, out, folder, resume=False)
        report = await _run_restore(target, out, folder, resume=True)
        assert report.ok, (report.errors, report.mismatches)
        same_as_source(src, target, folder)
