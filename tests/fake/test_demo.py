"""The demo data set: size, variety, speed and determinism."""

from __future__ import annotations

import re
import time

from taskade_async.testing import FakeTaskade
from taskade_async.testing._routes import ROUTES

from .conftest import Api


def _snapshot(fake: FakeTaskade) -> list[object]:
    return [
        [(s.id, s.name) for s in fake.state.spaces.values()],
        [
            (p.id, p.name, [(t.id, t.text, t.completed) for t in fake.tasks(p)[:50]])
            for p in fake.projects
        ],
        [(a.id, a.name, [c.id for c in a.convos]) for a in fake.agents],
        [(m.id, m.filename) for m in fake.medias],
    ]


def test_demo_is_realistic_and_fast() -> None:
    """load_demo builds workspaces, folders, 39,082 nested tasks and the rest in under 2 s."""
    fake = FakeTaskade()
    # CPU time, not wall-clock: other processes on a busy machine do not count.
    started = time.process_time()
    fake.load_demo()
    elapsed = time.process_time() - started
    assert elapsed < 2.0
    assert len(fake.workspaces) == 3
    assert all(fake.folders(ws) for ws in fake.workspaces)
    assert 40 <= len(fake.projects) <= 60
    tasks = [t for p in fake.projects for t in fake.tasks(p)]
    assert len(tasks) == 39_082
    assert sum(t.parent is not None for t in tasks) > len(tasks) // 4
    assert any(t.parent is not None and t.parent.parent is not None for t in tasks)
    assert sum(t.note is not None for t in tasks) > 1000
    assert sum(t.date is not None for t in tasks) > 1000
    assert sum(bool(t.assignees) for t in tasks) > 1000
    assert sum(bool(t.field_values) for t in tasks) > 1000
    assert sum(t.completed for t in tasks) > 1000
    assert all(p.members and len(p.fields) == 4 for p in fake.projects)
    assert len(fake.agents) == 18
    assert len([a for a in fake.agents if a.public_id is not None]) == 3
    assert all(a.convos for a in fake.agents)
    assert fake.medias
    assert fake.templates
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert all(re.fullmatch(uuid, t.id) for t in tasks[:1000])  # as live task ids (FACTS)
    assert all(re.fullmatch(r"[A-Za-z0-9]{16}", p.id) for p in fake.projects)


def test_demo_is_deterministic_per_seed() -> None:
    """The same seed gives the same ids and content; another seed gives others."""
    first, second, other = FakeTaskade(), FakeTaskade(), FakeTaskade()
    first.load_demo(seed=3)
    second.load_demo(seed=3)
    other.load_demo(seed=4)
    assert _snapshot(first) == _snapshot(second)
    assert _snapshot(first) != _snapshot(other)
    assert first.token != second.token


def test_demo_tasks_combine_details_as_real_accounts_do() -> None:
    """Dated tasks carry assignees, notes and field values too; some dates have an end."""
    fake = FakeTaskade()
    fake.load_demo()
    tasks = [t for p in fake.projects for t in fake.tasks(p)]
    dated = [t for t in tasks if t.date is not None]
    dates = [t.date for t in dated if t.date is not None]
    assert sum(bool(t.assignees) for t in dated) > len(dated) // 3
    assert sum(bool(t.assignees and t.note and t.field_values) for t in dated) > 50
    ends = [d for d in dates if "end" in d]
    assert len(ends) > 1000
    assert all(d["end"]["date"] >= d["start"]["date"] for d in ends)
    assert any("time" in d["end"] for d in ends)
    assert any(t.completed and t.date is not None and t.assignees for t in tasks)


async def test_every_read_operation_answers_2xx_on_the_demo(api: Api) -> None:
    """Each GET operation, with ids from the demo, answers 2xx (bodies checked against the spec)."""
    fake = api.fake
    fake.load_demo()
    rich = [
        (p, t)
        for p in fake.projects
        for t in fake.tasks(p)
        if t.note and t.date and "end" in t.date and t.assignees and t.field_values
    ]
    assert rich, "no task has a note, a date with an end, assignees and field values"
    project, task = rich[0]
    public = [a for a in fake.agents if a.public_id is not None]
    assert public, "no public agent"
    agent = public[0]
    workspace = fake.workspaces[0]
    ids = {
        "workspaceId": workspace.id,
        "folderId": fake.folders(workspace)[0].id,
        "spaceId": workspace.id,
        "projectId": project.id,
        "taskId": task.id,
        "fieldId": next(iter(task.field_values)),
        "agentId": agent.id,
        "convoId": agent.convos[0].id,
        "publicAgentId": str(agent.public_id),
        "mediaId": fake.medias[0].id,
    }
    failed = []
    reads = [route for route in ROUTES if route.method == "GET"]
    for route in reads:
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route.path)
        reply = await api.call("GET", path)
        if not 200 <= reply.status < 300:
            failed.append(f"{route.operation_id} {path}: {reply.status} {reply.raw[:200]!r}")
    assert failed == []
    assert len(reads) == 29
