"""The demo data set: size, variety, speed and determinism."""

from __future__ import annotations

import re
import time

from taskade_async.testing import FakeTaskade


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
    """load_demo builds workspaces, folders, ~40k nested tasks and the rest in well under 2 s."""
    fake = FakeTaskade()
    started = time.perf_counter()
    fake.load_demo()
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert len(fake.workspaces) == 3
    assert all(fake.folders(ws) for ws in fake.workspaces)
    assert 40 <= len(fake.projects) <= 60
    tasks = [t for p in fake.projects for t in fake.tasks(p)]
    assert 30_000 <= len(tasks) <= 50_000
    assert sum(t.parent is not None for t in tasks) > len(tasks) // 4
    assert any(t.parent is not None and t.parent.parent is not None for t in tasks)
    assert sum(t.note is not None for t in tasks) > 1000
    assert sum(t.date is not None for t in tasks) > 1000
    assert sum(bool(t.assignees) for t in tasks) > 1000
    assert sum(bool(t.field_values) for t in tasks) > 1000
    assert sum(t.completed for t in tasks) > 1000
    assert all(p.members and len(p.fields) == 4 for p in fake.projects)
    assert fake.agents
    assert all(a.convos for a in fake.agents)
    assert fake.medias
    assert fake.templates
    assert all(re.fullmatch(r"[A-Za-z0-9]{16}", t.id) for t in tasks[:1000])


def test_demo_is_deterministic_per_seed() -> None:
    """The same seed gives the same ids and content; another seed gives others."""
    first, second, other = FakeTaskade(), FakeTaskade(), FakeTaskade()
    first.load_demo(seed=3)
    second.load_demo(seed=3)
    other.load_demo(seed=4)
    assert _snapshot(first) == _snapshot(second)
    assert _snapshot(first) != _snapshot(other)
    assert first.token != second.token
