"""Error answers: the documented shape with the right status (400, 401, 404, 405, 415)."""

from __future__ import annotations

import pytest

from taskade_async.testing import FakeTaskade

from .conftest import Api


async def test_missing_or_wrong_token_is_401(api: Api, taskade_fake: FakeTaskade) -> None:
    """No token, a wrong token, a non-bearer scheme and a revoked token all get 401."""
    body = await api.error("GET", "/workspaces", 401, headers={"Authorization": ""})
    assert body["code"] == "UNAUTHORIZED"
    assert body["statusMessage"] == "Unauthorized"
    await api.error("GET", "/workspaces", 401, headers={"Authorization": "Bearer tskdp_wrong"})
    await api.error("GET", "/workspaces", 401, headers={"Authorization": f"Basic {api.token}"})
    reply = await api.call("GET", "/workspaces", headers={"Authorization": "Bearer nope"})
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    extra = taskade_fake.add_token()
    await api.ok("GET", "/workspaces", headers={"Authorization": f"Bearer {extra}"})
    taskade_fake.revoke_token(extra)
    await api.error("GET", "/workspaces", 401, headers={"Authorization": f"Bearer {extra}"})


async def test_auth_is_checked_before_the_route(api: Api) -> None:
    """Without a token even an unknown path answers 401, so nothing leaks about the API."""
    await api.error("GET", "/no/such/thing", 401, headers={"Authorization": ""})


async def test_unknown_paths_and_methods(api: Api) -> None:
    """An unknown path is a 404 and a known path with the wrong method a 405, both in JSON."""
    body = await api.error("GET", "/no/such/thing", 404)
    assert body["code"] == "NOT_FOUND"
    body = await api.error("DELETE", "/workspaces", 405)
    assert body["code"] == "METHOD_NOT_ALLOWED"
    reply = await api.call("PATCH", "/projects/p/shareLink")
    assert reply.headers["Allow"] == "GET, PUT"


async def test_ids_are_single_percent_decoded_segments(api: Api, taskade_fake: FakeTaskade) -> None:
    """An id holding '/', '?' or '%' is matched as one encoded segment, never as a path."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Odd", project_id="a/b?c%d")
    body = await api.ok("GET", "/projects/a%2Fb%3Fc%25d")
    assert body["item"]["id"] == project.id
    await api.error("GET", "/projects/a/b", 404)


async def test_body_on_a_bodiless_operation_is_415(api: Api, taskade_fake: FakeTaskade) -> None:
    """Operations that take no body answer 415 to any body, even '{}' (ERRATA 10)."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=["A"])
    task = taskade_fake.tasks(project)[0]
    for method, path in [
        ("POST", f"/projects/{project.id}/complete"),
        ("PUT", f"/projects/{project.id}/shareLink"),
        ("POST", f"/projects/{project.id}/tasks/{task.id}/complete"),
        ("GET", "/workspaces"),
    ]:
        body = await api.error(method, path, 415, json={})
        assert body["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert not project.completed
    assert not task.completed


async def test_non_json_body_on_a_json_operation_is_415(
    api: Api, taskade_fake: FakeTaskade
) -> None:
    """A JSON operation sent another content type answers 415; broken or absent JSON is 400."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=["A"])
    task = taskade_fake.tasks(project)[0]
    path = f"/projects/{project.id}/tasks/{task.id}"
    await api.error(
        "PUT", path, 415, data=b"contentType=text/plain", headers={"Content-Type": "text/plain"}
    )
    await api.error("PUT", path, 400, data=b"{", headers={"Content-Type": "application/json"})
    await api.error("PUT", path, 400, headers={"Content-Type": "application/json"})
    await api.error("PUT", path, 400, json=["not", "an", "object"])


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "body.contentType is required"),
        ({"contentType": "text/html", "content": "x"}, "body.contentType must be one of"),
        ({"contentType": "text/plain", "content": 5}, "body.content must be of type string"),
        ({"contentType": "text/plain", "content": "x" * 2001}, "at most 2000 characters"),
        ({"contentType": "text/plain", "content": "x", "extra": 1}, "not an allowed property"),
    ],
)
async def test_body_validation_is_400_with_a_useful_message(
    api: Api, taskade_fake: FakeTaskade, body: object, needle: str
) -> None:
    """Required fields, enums, types, lengths and unknown fields are checked (400)."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=["A"])
    task = taskade_fake.tasks(project)[0]
    error = await api.error("PUT", f"/projects/{project.id}/tasks/{task.id}", 400, json=body)
    assert needle in error["message"]
    assert error["code"] == "BAD_REQUEST"
    assert task.text == "A"


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "1001"}, {"limit": "ten"}, {"limit": "100.5"}, {"after": "nope"}],
)
async def test_query_validation_is_400(
    api: Api, taskade_fake: FakeTaskade, params: dict[str, str]
) -> None:
    """limit must be a whole number from 1 to 1000, and a cursor must name a task."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=["A"])
    await api.error("GET", f"/projects/{project.id}/tasks", 400, params=params)


async def test_unknown_ids_are_404(api: Api, taskade_fake: FakeTaskade) -> None:
    """Unknown workspace, folder, project, task, agent and media ids answer 404."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan")
    for path in [
        "/workspaces/x/folders",
        "/folders/x/agents",
        "/folders/x/medias",
        "/projects/x/tasks",
        f"/projects/{project.id}/tasks/x/note",
        "/agents/x/convos/",
        "/medias/x",
        "/bundles/x/export",
    ]:
        body = await api.error("GET", path, 404)
        assert body["message"]
