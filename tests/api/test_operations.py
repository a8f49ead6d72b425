"""Every API function against FakeTaskade: workspaces, folders, projects, medias and bundles."""

from __future__ import annotations

import json

import taskade_async as tk
from taskade_async.api import bundles, folders, me, medias, projects, workspaces
from taskade_async.models import (
    Project,
)
from taskade_async.testing import FakeTaskade

from ._world import World, sent, sent_raw

# -- workspaces ---------------------------------------------------------------------


async def test_workspaces(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """workspaces.list, list_folders and create_project send the documented requests."""
    spaces = await workspaces.list(taskade_session).collect()
    sent(taskade_fake, "GET", "/workspaces")
    assert [(w.id, w.name) for w in spaces if w] == [(world.ws, "Acme")]

    found = await workspaces.list_folders(taskade_session, world.ws).collect()
    sent(taskade_fake, "GET", f"/workspaces/{world.ws}/folders")
    assert world.folder in {f.id for f in found if f}

    made = await workspaces.create_project(
        taskade_session, world.ws, content_type="text/markdown", content="# Plan\n\n- a\n- b"
    )
    sent(
        taskade_fake,
        "POST",
        f"/workspaces/{world.ws}/projects",
        body={"contentType": "text/markdown", "content": "# Plan\n\n- a\n- b"},
    )
    assert isinstance(made, Project)
    assert made.id in {p.id for p in taskade_fake.projects}


# -- folders ------------------------------------------------------------------------


async def test_folder_lists(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """The folder list functions page with ints and decode their items."""
    found = await folders.list_projects(taskade_session, world.folder).collect()
    sent(taskade_fake, "GET", f"/folders/{world.folder}/projects")
    assert [p.id for p in found if p] == [world.project]

    agent_list = await folders.list_agents(taskade_session, world.folder, limit=5).collect()
    sent(taskade_fake, "GET", f"/folders/{world.folder}/agents", query={"page": "1", "limit": "5"})
    assert [a.id for a in agent_list if a] == [world.agent]

    files = await folders.list_medias(taskade_session, world.folder).collect()
    sent(
        taskade_fake, "GET", f"/folders/{world.folder}/medias", query={"page": "1", "limit": "100"}
    )
    assert [(m.id, m.space_id) for m in files if m] == [(world.media, world.folder)]

    found_templates = await folders.list_templates(taskade_session, world.folder).collect()
    sent(
        taskade_fake,
        "GET",
        f"/folders/{world.folder}/project-templates",
        query={"page": "1", "limit": "20"},
    )
    assert [(t.id, t.name) for t in found_templates if t] == [(world.template, "Weekly")]


async def test_folder_agents(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """create_agent sends the tagged data union as given; generate_agent sends the text."""
    data = {"type": "data", "data": {"commands": [], "tone": "friendly"}}
    agent = await folders.create_agent(taskade_session, world.folder, name="Bot", data=data)
    sent(
        taskade_fake,
        "POST",
        f"/folders/{world.folder}/agents",
        body={"name": "Bot", "data": data},
    )
    assert agent.name == "Bot"
    assert agent.data.tone == "friendly"
    assert agent.data.commands == []

    generated = await folders.generate_agent(
        taskade_session, world.folder, text="An agent that plans weekly reviews for a team"
    )
    sent(
        taskade_fake,
        "POST",
        f"/folders/{world.folder}/agent-generate",
        body={"text": "An agent that plans weekly reviews for a team"},
    )
    assert generated.space_id == world.folder


# -- projects -----------------------------------------------------------------------


async def test_project_lifecycle(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """get, create, copy, from template, complete and restore send the documented requests."""
    got = await projects.get(taskade_session, world.project)
    sent(taskade_fake, "GET", f"/projects/{world.project}")
    assert got == Project(id=world.project, name="Launch")

    made = await projects.create(
        taskade_session, folder_id=world.folder, content_type="text/markdown", content="- x"
    )
    sent(
        taskade_fake,
        "POST",
        "/projects",
        body={"folderId": world.folder, "contentType": "text/markdown", "content": "- x"},
    )
    assert made is not None

    copied = await projects.copy(taskade_session, world.project, folder_id=world.folder)
    sent(taskade_fake, "POST", f"/projects/{world.project}/copy", body={"folderId": world.folder})
    assert copied is not None
    assert copied.id != world.project

    titled = await projects.copy(
        taskade_session, world.project, folder_id=world.folder, project_title="Launch 2"
    )
    sent(
        taskade_fake,
        "POST",
        f"/projects/{world.project}/copy",
        body={"folderId": world.folder, "projectTitle": "Launch 2"},
    )
    assert titled is not None
    assert titled.name == "Launch 2"

    from_template = await projects.create_from_template(
        taskade_session, folder_id=world.folder, template_id=world.template
    )
    sent(
        taskade_fake,
        "POST",
        "/projects/from-template",
        body={"folderId": world.folder, "templateId": world.template},
    )
    assert from_template is not None

    done = await projects.complete(taskade_session, world.project)
    sent(taskade_fake, "POST", f"/projects/{world.project}/complete")
    assert done is not None
    assert taskade_fake.project(world.project).completed

    back = await projects.restore(taskade_session, world.project)
    sent(taskade_fake, "POST", f"/projects/{world.project}/restore")
    assert back is not None
    assert not taskade_fake.project(world.project).completed


async def test_project_details(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """Members, fields, share links, blocks and tasks of a project."""
    members = await projects.list_members(taskade_session, world.project).collect()
    sent(
        taskade_fake,
        "GET",
        f"/projects/{world.project}/members",
        query={"page": "1", "limit": "20"},
    )
    assert [(m.handle, m.display_name) for m in members if m] == [("ada", "Ada L")]

    fields = await projects.list_fields(taskade_session, world.project).collect()
    sent(taskade_fake, "GET", f"/projects/{world.project}/fields")
    assert [(f.id, f.data) for f in fields] == [(world.field, {"type": "boolean"})]

    share = await projects.enable_share_link(taskade_session, world.project)
    sent(taskade_fake, "PUT", f"/projects/{world.project}/shareLink")
    again = await projects.get_share_link(taskade_session, world.project)
    sent(taskade_fake, "GET", f"/projects/{world.project}/shareLink")
    assert again is not None
    assert share.view_url == again.view_url

    blocks = await projects.list_blocks(taskade_session, world.project, limit=2).collect()
    sent(
        taskade_fake,
        "GET",
        f"/projects/{world.project}/blocks",
        query={"limit": "2", "after": blocks[1].id},
    )
    assert [b.text for b in blocks] == ["one", "two", "three"]

    listed = await projects.list_tasks(taskade_session, world.project).collect()
    sent(taskade_fake, "GET", f"/projects/{world.project}/tasks", query={"limit": "100"})
    assert [t.text for t in listed] == ["one", "two", "two.a", "three"]
    assert listed[2].parent_id == listed[1].id


async def test_me_projects(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """me.list_projects sends sort only when given, with integer page and limit."""
    mine = await me.list_projects(taskade_session).collect()
    sent(taskade_fake, "GET", "/me/projects", query={"page": "1", "limit": "100"})
    assert world.project in {p.id for p in mine}
    await me.list_projects(taskade_session, sort="viewed-asc", limit=10).collect()
    sent(
        taskade_fake,
        "GET",
        "/me/projects",
        query={"page": "1", "limit": "10", "sort": "viewed-asc"},
    )


# -- medias and bundles ---------------------------------------------------------------


async def test_medias(taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World) -> None:
    """Upload (raw body), details, download, download all, delete."""
    uploaded = await medias.upload(
        taskade_session, world.folder, filename="a b.txt", data=b"abc", content_type="text/plain"
    )
    request = sent_raw(taskade_fake, "POST", f"/medias/spaces/{world.folder}/upload")
    assert request.query == {"filename": "a b.txt"}
    assert request.body == b"abc"
    assert request.headers["Content-Type"] == "text/plain"
    assert uploaded.download_url.endswith(f"/medias/{uploaded.media_id}/download")

    info = await medias.get(taskade_session, world.media)
    sent(taskade_fake, "GET", f"/medias/{world.media}")
    assert info.space_id == world.folder

    async with await medias.download(taskade_session, world.media) as download:
        sent(taskade_fake, "GET", f"/medias/{world.media}/download")
        assert await download.read() == b"hello world"
    async with await medias.download_all(taskade_session, world.folder) as archive:
        sent(taskade_fake, "GET", f"/medias/spaces/{world.folder}/download")
        assert (await archive.read())[:2] == b"PK"

    await medias.delete(taskade_session, world.media)
    sent(taskade_fake, "DELETE", f"/medias/{world.media}")


async def test_bundles(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """Export as JSON and zip, import both back into the workspace."""
    bundle = await bundles.export_json(taskade_session, world.folder)
    sent(taskade_fake, "GET", f"/bundles/{world.folder}/export")
    assert bundle.version == "1"
    assert bundle.items

    installed = await bundles.import_json(taskade_session, world.ws, bundle_data=bundle)
    request = sent_raw(taskade_fake, "POST", f"/bundles/{world.ws}/import")
    assert json.loads(request.body)["bundleData"]["items"].keys() == bundle.items.keys()
    assert installed.project_count == 1

    async with await bundles.export_zip(taskade_session, world.folder, format="zip") as z:
        sent(taskade_fake, "GET", f"/bundles/{world.folder}/export/zip", query={"format": "zip"})
        assert z.content_type == "application/zip"
        archive = await z.read()
    from_zip = await bundles.import_zip(taskade_session, world.ws, data=archive)
    request = sent_raw(taskade_fake, "POST", f"/bundles/{world.ws}/import/zip")
    assert request.headers["Content-Type"] == "application/zip"
    assert request.body == archive
    assert from_zip.project_count == 1
