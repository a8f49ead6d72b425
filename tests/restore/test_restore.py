"""``restore()``: an export rebuilt in another account, exactly, with what it skips reported."""

from __future__ import annotations

import json
from pathlib import Path

from taskade_async import Session
from taskade_async.export import restore
from taskade_async.testing import FakeTaskade
from taskade_async.testing._server import RecordedRequest
from tests.restore._world import (
    RETRY,
    by_name,
    details,
    shape,
    target_account,
)


async def test_restore_into_another_account_rebuilds_every_project(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """Every project comes back with the same tree (texts, order, nesting, completion) and
    details; non-member assignees and field values are skipped and reported, none written."""
    src, out = source
    folder = target_account(target, members=("alice",))
    async with Session(target.token, base_url=target.base_url, retry=RETRY) as session:
        report = await restore(session, out, folder_id=folder)
    assert report.ok, (report.errors, report.mismatches)
    made = by_name(target, folder)
    for project in src.projects:
        copy = made[project.name]
        assert shape(target, copy) == shape(src, project)
        want = [
            (note, date, tuple(h for h in people if h == "alice"))
            for note, date, people in details(src, project)
        ]
        assert details(target, copy) == want
    assert report.skipped["task_assignees"] == {
        "count": 3,
        "reason": "not a member of the new project",
    }
    assert report.skipped["task_field_values"]["count"] == 1
    assert not any((r.operation_id or "").startswith("taskField") for r in _writes(target))
    saved = json.loads((out / "restore.json").read_bytes())
    assert saved["complete"] is True
    assert saved["restored"]["tasks"] == sum(len(src.tasks(p)) for p in src.projects)


def _writes(fake: FakeTaskade) -> list[RecordedRequest]:
    """The requests that could change the account."""
    return [r for r in fake.requests if r.method != "GET"]
