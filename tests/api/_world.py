"""The shared steps of the operation tests: a small account in the fake, and request checks."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from taskade_async.testing import FakeTaskade, RecordedRequest

NO_BODY: Any = object()


def sent(
    fake: FakeTaskade,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: Any = NO_BODY,
    index: int = -1,
) -> RecordedRequest:
    """Assert the request the fake received (path from /api/v1, decoded)."""
    request = fake.requests[index]
    assert request.method == method
    assert request.path == "/api/v1" + path
    assert request.query == (query or {})
    if body is NO_BODY:
        assert request.body == b""
        assert "Content-Type" not in request.headers
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.body) == body
    return request


@attrs.define
class World:
    """A small account: a workspace with a folder, a project with tasks, an agent, a file."""

    ws: str
    folder: str
    project: str
    task_ids: list[str]
    agent: str
    media: str
    template: str
    field: str


@pytest.fixture
def world(taskade_fake: FakeTaskade) -> World:
    """Build the account in the fake's state (no HTTP)."""
    fake = taskade_fake
    ws = fake.add_workspace("Acme")
    folder = fake.add_folder(ws, "Ops")
    fake.add_member(ws, "ada", "Ada L")
    project = fake.add_project(folder, "Launch", tasks=["one", ("two", ["two.a"]), "three"])
    field = fake.add_field(project, {"type": "boolean"})
    agent = fake.add_agent(folder, "Helper")
    fake.add_convo(agent, "First chat")
    media = fake.add_media(folder, "notes.txt", b"hello world", "text/plain")
    template = fake.add_template(folder, "Weekly", ["plan", "review"])
    return World(
        ws=ws.id,
        folder=folder.id,
        project=project.id,
        task_ids=[t.id for t in fake.tasks(project)],
        agent=agent.id,
        media=media.id,
        template=template.id,
        field=field.id,
    )


def sent_raw(fake: FakeTaskade, method: str, path: str) -> RecordedRequest:
    """The last request, checked for method and path only."""
    request = fake.requests[-1]
    assert (request.method, request.path) == (method, "/api/v1" + path)
    return request
