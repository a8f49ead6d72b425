"""Workspaces, folders and projects through real HTTP."""

from __future__ import annotations

from taskade_async.testing import FakeTaskade

from .conftest import Api


async def test_workspaces_and_folders(api: Api, taskade_fake: FakeTaskade) -> None:
    """workspacesGet lists workspaces only; workspaceFoldersGet lists a workspace's folders."""
    ws = taskade_fake.add_workspace("Acme")
    other = taskade_fake.add_workspace("Home")
    folder = taskade_fake.add_folder(ws, "Engineering")
    body = await api.ok("GET", "/workspaces")
    assert body == {
        "ok": True,
        "items": [{"id": ws.id, "name": "Acme"}, {"id": other.id, "name": "Home"}],
    }
    body = await api.ok("GET", f"/workspaces/{ws.id}/folders")
    assert body["items"] == [{"id": folder.id, "name": "Engineering"}]
    assert (await api.ok("GET", f"/workspaces/{other.id}/folders"))["items"] == []
    await api.error("GET", f"/workspaces/{folder.id}/folders", 404)


async def test_create_project_from_markdown(api: Api, taskade_fake: FakeTaskade) -> None:
    """projectCreate and workspaceCreateProject turn markdown into a named, nested project."""
    ws = taskade_fake.add_workspace("Acme")
    folder = taskade_fake.add_folder(ws, "Eng")
    markdown = "# Launch\n- Plan\n  - Budget\n- Ship\n"
    body = await api.ok(
        "POST",
        "/projects",
        json={"folderId": folder.id, "contentType": "text/markdown", "content": markdown},
    )
    project = taskade_fake.project(body["item"]["id"])
    assert body["item"] == {"id": project.id, "name": "Launch"}
    assert project.space_id == folder.id
    assert [(t.text, t.parent.text if t.parent else None) for t in taskade_fake.tasks(project)] == [
        ("Plan", None),
        ("Budget", "Plan"),
        ("Ship", None),
    ]
    body = await api.ok(
        "POST",
        f"/workspaces/{ws.id}/projects",
        json={"contentType": "text/markdown", "content": "# Inbox\n"},
    )
    assert body["item"]["name"] == "Inbox"
    assert taskade_fake.project(body["item"]["id"]).space_id == ws.id
    await api.error(
        "POST",
        "/projects",
        404,
        json={"folderId": "nope", "contentType": "text/markdown", "content": "x"},
    )


async def test_folder_projects_accepts_a_workspace_id(api: Api, taskade_fake: FakeTaskade) -> None:
    """folderProjectsGet lists a folder's projects, and a workspace id works as a folder id."""
    ws = taskade_fake.add_workspace("Acme")
    folder = taskade_fake.add_folder(ws, "Eng")
    top = taskade_fake.add_project(ws, "Top")
    inner = taskade_fake.add_project(folder, "Inner")
    assert (await api.ok("GET", f"/folders/{ws.id}/projects"))["items"] == [
        {"id": top.id, "name": "Top"}
    ]
    assert (await api.ok("GET", f"/folders/{folder.id}/projects"))["items"] == [
        {"id": inner.id, "name": "Inner"}
    ]
    await api.error("GET", "/folders/missing/projects", 404)


async def test_project_get_complete_restore(api: Api, taskade_fake: FakeTaskade) -> None:
    """projectGet returns the project; projectComplete and projectRestore flip its state."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan")
    assert (await api.ok("GET", f"/projects/{project.id}"))["item"] == {
        "id": project.id,
        "name": "Plan",
    }
    body = await api.ok("POST", f"/projects/{project.id}/complete")
    assert body["item"]["id"] == project.id
    assert project.completed
    await api.ok("POST", f"/projects/{project.id}/restore")
    assert taskade_fake.project(project.id).completed is False
    await api.error("GET", "/projects/unknown", 404)


async def test_project_copy_copies_the_tree(api: Api, taskade_fake: FakeTaskade) -> None:
    """projectCopy makes a new project with the same task tree and notes, under new ids."""
    ws = taskade_fake.add_workspace("Acme")
    folder = taskade_fake.add_folder(ws, "Archive")
    source = taskade_fake.add_project(ws, "Plan", tasks=[("A", ["A1", ("A2", ["A2a"])]), "B"])
    taskade_fake.add_task(source, "C", note="remember")
    body = await api.ok(
        "POST", f"/projects/{source.id}/copy", json={"folderId": folder.id, "projectTitle": "Copy"}
    )
    copy = taskade_fake.project(body["item"]["id"])
    assert body["item"] == {"id": copy.id, "name": "Copy"}
    assert copy.space_id == folder.id
    original = taskade_fake.tasks(source)
    copied = taskade_fake.tasks(copy)
    assert (
        [t.text for t in copied] == [t.text for t in original] == ["A", "A1", "A2", "A2a", "B", "C"]
    )
    assert {t.id for t in copied}.isdisjoint(t.id for t in original)
    assert copied[3].parent is copied[2]
    assert copied[5].note == {"type": "text/markdown", "value": "remember"}
    body = await api.ok("POST", f"/projects/{source.id}/copy", json={"folderId": ws.id})
    assert body["item"]["name"] == "Plan"


async def test_project_from_template(api: Api, taskade_fake: FakeTaskade) -> None:
    """projectFromTemplate builds a project from a template's outline; templates page by number."""
    ws = taskade_fake.add_workspace("Acme")
    template = taskade_fake.add_template(ws, "Sprint", [("Plan", ["Goals"]), "Review"])
    for i in range(3):
        taskade_fake.add_template(ws, f"Extra {i}")
    page = await api.ok("GET", f"/folders/{ws.id}/project-templates", params={"limit": "2"})
    assert page["items"] == [{"id": template.id, "name": "Sprint"}, page["items"][1]]
    page2 = await api.ok(
        "GET", f"/folders/{ws.id}/project-templates", params={"limit": "2", "page": "2"}
    )
    assert [t["name"] for t in page2["items"]] == ["Extra 1", "Extra 2"]
    body = await api.ok(
        "POST", "/projects/from-template", json={"folderId": ws.id, "templateId": template.id}
    )
    project = taskade_fake.project(body["item"]["id"])
    assert [t.text for t in taskade_fake.tasks(project)] == ["Plan", "Goals", "Review"]
    await api.error(
        "POST", "/projects/from-template", 404, json={"folderId": ws.id, "templateId": "gone"}
    )


async def test_members_fields_and_share_link(api: Api, taskade_fake: FakeTaskade) -> None:
    """Members page by number, fields list whole, and the share link exists once enabled."""
    ws = taskade_fake.add_workspace("Acme")
    for i in range(5):
        taskade_fake.add_member(ws, f"user{i}", f"User {i}")
    project = taskade_fake.add_project(ws, "Plan")
    field = taskade_fake.add_field(project, {"type": "string", "displayName": "Customer"})
    members = await api.ok(
        "GET", f"/projects/{project.id}/members", params={"limit": "2", "page": "3"}
    )
    assert members["items"] == [{"handle": "user4", "displayName": "User 4"}]
    fields = await api.ok("GET", f"/projects/{project.id}/fields")
    assert fields["items"] == [
        {"id": field.id, "data": {"type": "string", "displayName": "Customer"}}
    ]
    assert (await api.ok("GET", f"/projects/{project.id}/shareLink"))["item"] is None
    enabled = await api.ok("PUT", f"/projects/{project.id}/shareLink")
    assert set(enabled["item"]) == {"checkUrl", "editUrl", "viewUrl"}
    assert (await api.ok("GET", f"/projects/{project.id}/shareLink"))["item"] == enabled["item"]


async def test_me_projects_sorted_by_last_view(api: Api, taskade_fake: FakeTaskade) -> None:
    """meProjectsGet sorts by last view (projectGet counts as one), both ways, paged."""
    ws = taskade_fake.add_workspace("Acme")
    a, b, c = (taskade_fake.add_project(ws, name) for name in "abc")
    await api.ok("GET", f"/projects/{b.id}")
    await api.ok("GET", f"/projects/{a.id}")
    desc = await api.ok("GET", "/me/projects")
    assert [p["id"] for p in desc["items"]] == [a.id, b.id, c.id]
    asc = await api.ok("GET", "/me/projects", params={"sort": "viewed-asc", "limit": "2"})
    assert [p["id"] for p in asc["items"]] == [c.id, b.id]
    await api.error("GET", "/me/projects", 400, params={"sort": "name"})


async def test_blocks_are_top_level_tasks_by_cursor(api: Api, taskade_fake: FakeTaskade) -> None:
    """projectBlocksGet lists the top-level tasks, paged by after/before cursors."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=[("A", ["A1"]), "B", "C", "D"])
    roots = project.tree.roots
    body = await api.ok("GET", f"/projects/{project.id}/blocks", params={"limit": "2"})
    assert body["items"] == [{"id": t.id, "text": t.text, "completed": False} for t in roots[:2]]
    body = await api.ok(
        "GET", f"/projects/{project.id}/blocks", params={"after": roots[1].id, "limit": "5"}
    )
    assert [b["text"] for b in body["items"]] == ["C", "D"]
    body = await api.ok(
        "GET", f"/projects/{project.id}/blocks", params={"before": roots[3].id, "limit": "2"}
    )
    assert [b["text"] for b in body["items"]] == ["B", "C"]
