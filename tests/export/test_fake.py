"""The exporter against FakeTaskade: every record checked against the fake's own state."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from taskade_async import RetryPolicy, Session
from taskade_async.export import export
from taskade_async.testing import FakeTaskade
from tests._cli import run
from tests.export._expect import read_lines


@pytest.fixture
async def fake() -> AsyncIterator[FakeTaskade]:
    """A running FakeTaskade without data."""
    async with FakeTaskade(record=False) as running:
        yield running


def _session(fake: FakeTaskade) -> Session:
    retry = RetryPolicy(max_attempts=10, base_backoff=0.01, max_backoff=0.05)
    return Session(fake.token, base_url=fake.base_url, retry=retry)


def _folder_of(fake: FakeTaskade, space_id: str) -> tuple[str, str | None]:
    """(workspaceId, folderId) of a space: a workspace's own space has no folder."""
    space = fake.state.spaces[space_id]
    if space.workspace_id is None:
        return space.id, None
    return space.workspace_id, space.id


async def test_demo_export_matches_the_fakes_state(fake: FakeTaskade, tmp_path: Path) -> None:
    """Workspaces, folders, projects, tasks, agents and medias equal the fake's, in order."""
    fake.load_demo()
    async with _session(fake) as session:
        manifest = await export(session, tmp_path, concurrency=8)
    assert manifest.ok
    assert [r["data"] for r in read_lines(tmp_path, "workspaces")] == [
        {"id": w.id, "name": w.name} for w in fake.workspaces
    ]
    assert [(r["workspaceId"], r["data"]) for r in read_lines(tmp_path, "folders")] == [
        (w.id, {"id": f.id, "name": f.name}) for w in fake.workspaces for f in fake.folders(w)
    ]
    projects = read_lines(tmp_path, "projects")
    assert sorted(p["data"]["id"] for p in projects) == sorted(p.id for p in fake.projects)
    tasks: dict[str, list[dict[str, Any]]] = {}
    for line in read_lines(tmp_path, "tasks"):
        tasks.setdefault(line["projectId"], []).append(line["data"])
    for line in projects:
        project = fake.project(line["data"]["id"])
        assert line["data"] == project.to_json()
        assert (line["workspaceId"], line["folderId"]) == _folder_of(fake, project.space_id)
        assert tasks.get(project.id, []) == [t.to_json() for t in fake.tasks(project)]
    for kind, things in (("agents", fake.agents), ("medias", fake.medias)):
        lines = read_lines(tmp_path, kind)
        assert sorted(x["data"]["id"] for x in lines) == sorted(t.id for t in things)
        for line in lines:
            assert (line["workspaceId"], line["folderId"]) == _folder_of(
                fake, line["data"]["space_id"]
            )
    assert manifest.counts["tasks"] == sum(len(fake.tasks(p)) for p in fake.projects)


@pytest.mark.parametrize("redirect", [False, True])
async def test_details_and_media_match_the_fakes_state(
    fake: FakeTaskade, tmp_path: Path, redirect: bool
) -> None:
    """Task details and media bytes equal the fake's, downloads redirected to storage or not."""
    fake.redirect_downloads = redirect
    ws = fake.add_workspace("Acme")
    folder = fake.add_folder(ws, "Team")
    fake.add_member(ws, "ada", "Ada")
    project = fake.add_project(folder, "Plan", task_count=40, seed=3)
    field = fake.add_field(project, {"type": "boolean"})
    first = fake.add_task(
        project,
        "Dated",
        note="see *spec*",
        date={"start": {"date": "2026-07-21"}},
        assignees=["ada"],
    )
    first.field_values[field.id] = True
    media = fake.add_media(folder, "report.txt", b"quarterly numbers\n")
    fake.add_media(ws, "root.bin", bytes(range(256)))
    async with _session(fake) as session:
        manifest = await export(session, tmp_path, details=True, media=True)
    assert manifest.ok, manifest.errors
    notes = {x["taskId"]: x["data"] for x in read_lines(tmp_path, "task_notes")}
    dates = {x["taskId"]: x["data"] for x in read_lines(tmp_path, "task_dates")}
    assigned = [(x["taskId"], x["data"]["handle"]) for x in read_lines(tmp_path, "task_assignees")]
    values = [
        (x["taskId"], x["data"]["fieldId"], x["data"]["value"])
        for x in read_lines(tmp_path, "task_field_values")
    ]
    tasks = fake.tasks(project)
    assert notes == {t.id: t.note for t in tasks if t.note is not None}
    assert dates == {t.id: t.date for t in tasks if t.date is not None}
    assert assigned == [(t.id, h) for t in tasks for h in t.assignees]
    assert values == [(t.id, k, v) for t in tasks for k, v in t.field_values.items()]
    saved = {x["mediaId"]: x for x in read_lines(tmp_path, "media_files")}
    assert set(saved) == {m.id for m in fake.medias}
    for m in fake.medias:
        assert (tmp_path / saved[m.id]["data"]["path"]).read_bytes() == m.content
    assert saved[media.id]["data"]["filename"] == "report.txt"


async def test_fake_403_project_and_rate_limit(fake: FakeTaskade, tmp_path: Path) -> None:
    """A project the fake forbids is recorded; its rate limit's 429s are waited out."""
    ws = fake.add_workspace("W")
    projects = [fake.add_project(ws, f"P{i}", task_count=30) for i in range(6)]
    forbidden = projects[2]
    fake.fail_next(403, times=1, path=f"/api/v1/projects/{forbidden.id}")
    fake.set_rate_limit(40, burst=5)
    async with _session(fake) as session:
        manifest = await export(session, tmp_path, concurrency=6)
    assert [(e.what, e.id, e.status) for e in manifest.errors] == [("project", forbidden.id, 403)]
    assert fake.rate_limited > 0
    # Requests for the forbidden project's lists are dropped with it, 429s and all.
    assert 0 < manifest.rate_limited <= fake.rate_limited
    exported = {p["data"]["id"] for p in read_lines(tmp_path, "projects")}
    assert exported == {p.id for p in projects} - {forbidden.id}


async def test_cli_demo_exits_0(tmp_path: Path) -> None:
    """`python -m taskade_async export --demo OUT` exports the demo data and exits 0."""
    started = time.monotonic()
    result = await run("export", "--demo", str(tmp_path / "out"))
    assert result.code == 0, result.stderr
    assert time.monotonic() - started < 30
    assert "Exported" in result.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_bytes())
    assert manifest["errors"] == []
    # The demo account of seed 0, record by record type.
    assert manifest["counts"] == {
        "agents": 18,
        "blocks": 2267,
        "fields": 192,
        "folders": 10,
        "medias": 27,
        "members": 272,
        "projects": 48,
        "tasks": 39_082,
        "workspaces": 3,
    }
