"""Every API function against FakeTaskade: the exact request sent and the decoded result."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

import taskade_async as tk
from taskade_async.api import agents, bundles, folders, me, medias, projects, tasks, workspaces
from taskade_async.models import (
    Date,
    MoveTarget,
    NewTask,
    Project,
    PublicAgentPreferencesUpdate,
    SpaceAgentData,
    Task,
)
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


# -- tasks --------------------------------------------------------------------------


async def test_task_basics(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """get, update, complete, uncomplete, create, move and delete."""
    p, (one, two, two_a, three) = world.project, world.task_ids
    got = await tasks.get(taskade_session, p, two_a)
    sent(taskade_fake, "GET", f"/projects/{p}/tasks/{two_a}")
    assert got == Task(id=two_a, text="two.a", parent_id=two, completed=False)

    updated = await tasks.update(taskade_session, p, one, content_type="text/plain", content="1")
    sent(
        taskade_fake,
        "PUT",
        f"/projects/{p}/tasks/{one}",
        body={"contentType": "text/plain", "content": "1"},
    )
    assert updated is not None
    assert updated.text == "1"

    done = await tasks.complete(taskade_session, p, one)
    sent(taskade_fake, "POST", f"/projects/{p}/tasks/{one}/complete")
    assert done is not None
    assert done.completed is True
    undone = await tasks.uncomplete(taskade_session, p, one)
    sent(taskade_fake, "POST", f"/projects/{p}/tasks/{one}/uncomplete")
    assert undone is not None
    assert undone.completed is False

    created = await tasks.create(
        taskade_session,
        p,
        tasks=[
            NewTask(content_type="text/plain", content="first", placement="beforeend"),
            {"contentType": "text/plain", "content": "under three", "placement": "afterbegin",
             "taskId": three},
        ],
    )  # fmt: skip
    sent(
        taskade_fake,
        "POST",
        f"/projects/{p}/tasks/",
        body={
            "tasks": [
                {"contentType": "text/plain", "content": "first", "placement": "beforeend"},
                {
                    "contentType": "text/plain",
                    "content": "under three",
                    "placement": "afterbegin",
                    "taskId": three,
                },
            ]
        },
    )
    assert [t.text for t in created] == ["first", "under three"]

    moved = await tasks.move(
        taskade_session, p, three, target=MoveTarget(task_id=one, position="beforebegin")
    )
    sent(
        taskade_fake,
        "PUT",
        f"/projects/{p}/tasks/{three}/move",
        body={"target": {"taskId": one, "position": "beforebegin"}},
    )
    assert moved is not None
    assert [t.text for t in taskade_fake.tasks(p)][:2] == ["three", "under three"]

    await tasks.delete(taskade_session, p, two)
    sent(taskade_fake, "DELETE", f"/projects/{p}/tasks/{two}")
    assert two_a not in {t.id for t in taskade_fake.tasks(p)}


async def test_nothing_set_is_none_for_dates_and_notes(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """A task without a date or a note: get_date and get_note both return None."""
    p, t = world.project, world.task_ids[1]
    assert await tasks.get_date(taskade_session, p, t) is None
    assert await tasks.get_note(taskade_session, p, t) is None
    with pytest.raises(tk.NotFoundError):
        await tasks.get_date(taskade_session, p, "no-such-task")


async def test_a_workspace_lists_its_own_projects(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """workspaces.list_projects reads the workspace's root folder, like folders.list_projects."""
    top = taskade_fake.add_project(world.ws, "Top", tasks=["x"])
    found = await workspaces.list_projects(taskade_session, world.ws).collect()
    sent(taskade_fake, "GET", f"/folders/{world.ws}/projects")
    assert [p.id for p in found] == [top.id]
    same = await folders.list_projects(taskade_session, world.ws).collect()
    assert same == found


async def test_task_people_dates_notes(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """Assignees, dates and notes of a task."""
    p, t = world.project, world.task_ids[0]
    await tasks.set_assignees(taskade_session, p, t, handles=["ada"])
    sent(taskade_fake, "PUT", f"/projects/{p}/tasks/{t}/assignees", body={"handles": ["ada"]})
    people = await tasks.list_assignees(taskade_session, p, t).collect()
    sent(taskade_fake, "GET", f"/projects/{p}/tasks/{t}/assignees")
    assert [u.handle for u in people] == ["ada"]
    await tasks.remove_assignee(taskade_session, p, t, "ada")
    sent(taskade_fake, "DELETE", f"/projects/{p}/tasks/{t}/assignees/ada")
    assert taskade_fake.task(p, t).assignees == []

    await tasks.set_date(
        taskade_session,
        p,
        t,
        start=Date(date="2026-07-21", time="09:00"),
        end={"date": "2026-07-22"},
    )
    sent(
        taskade_fake,
        "PUT",
        f"/projects/{p}/tasks/{t}/date",
        body={"start": {"date": "2026-07-21", "time": "09:00"}, "end": {"date": "2026-07-22"}},
    )
    when = await tasks.get_date(taskade_session, p, t)
    sent(taskade_fake, "GET", f"/projects/{p}/tasks/{t}/date")
    assert when is not None
    assert when.start.date == "2026-07-21"
    assert when.start.time == "09:00"
    assert when.end == Date(date="2026-07-22")
    await tasks.delete_date(taskade_session, p, t)
    sent(taskade_fake, "DELETE", f"/projects/{p}/tasks/{t}/date")

    note = await tasks.set_note(taskade_session, p, t, type="text/markdown", value="**bold**")
    sent(
        taskade_fake,
        "PUT",
        f"/projects/{p}/tasks/{t}/note",
        body={"type": "text/markdown", "value": "**bold**"},
    )
    assert note is not None
    read = await tasks.get_note(taskade_session, p, t)
    sent(taskade_fake, "GET", f"/projects/{p}/tasks/{t}/note")
    assert read is not None
    assert read.value == "**bold**"
    await tasks.delete_note(taskade_session, p, t)
    sent(taskade_fake, "DELETE", f"/projects/{p}/tasks/{t}/note")
    assert taskade_fake.note(p, t) is None


async def test_task_field_values(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """Custom field values: set, list, get and delete."""
    p, t, f = world.project, world.task_ids[0], world.field
    await tasks.set_field_value(taskade_session, p, t, f, value="yes")
    sent(taskade_fake, "PUT", f"/projects/{p}/tasks/{t}/fields/{f}", body={"value": "yes"})
    values = await tasks.list_field_values(taskade_session, p, t).collect()
    sent(taskade_fake, "GET", f"/projects/{p}/tasks/{t}/fields")
    assert [(v.field_id, v.value) for v in values] == [(f, "yes")]
    one = await tasks.get_field_value(taskade_session, p, t, f)
    sent(taskade_fake, "GET", f"/projects/{p}/tasks/{t}/fields/{f}")
    assert one.value == "yes"
    await tasks.delete_field_value(taskade_session, p, t, f)
    sent(taskade_fake, "DELETE", f"/projects/{p}/tasks/{t}/fields/{f}")


# -- agents -------------------------------------------------------------------------


async def test_agent_settings(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """get, update (with a model for data), knowledge and delete."""
    a = world.agent
    got = await agents.get(taskade_session, a)
    sent(taskade_fake, "GET", f"/agents/{a}")
    assert got.name == "Helper"

    updated = await agents.update(
        taskade_session, a, name="Helper 2", data=SpaceAgentData(commands=[], language="en-US")
    )
    sent(
        taskade_fake,
        "PATCH",
        f"/agents/{a}",
        body={"name": "Helper 2", "data": {"commands": [], "language": "en-US"}},
    )
    assert updated is not None
    assert updated.data.language == "en-US"

    with_project = await agents.add_knowledge_project(taskade_session, a, project_id=world.project)
    sent(taskade_fake, "POST", f"/agents/{a}/knowledge/project", body={"projectId": world.project})
    assert with_project.id == a
    await agents.add_knowledge_media(taskade_session, a, media_id=world.media)
    sent(taskade_fake, "POST", f"/agents/{a}/knowledge/media", body={"mediaId": world.media})
    await agents.remove_knowledge_project(taskade_session, a, world.project)
    sent(taskade_fake, "DELETE", f"/agents/{a}/knowledge/project/{world.project}")
    await agents.remove_knowledge_media(taskade_session, a, world.media)
    sent(taskade_fake, "DELETE", f"/agents/{a}/knowledge/media/{world.media}")

    convos = await agents.list_convos(taskade_session, a).collect()
    sent(taskade_fake, "GET", f"/agents/{a}/convos/", query={"page": "1", "limit": "20"})
    assert [c.title for c in convos] == ["First chat"]
    convo = await agents.get_convo(taskade_session, a, convos[0].id)
    sent(taskade_fake, "GET", f"/agents/{a}/convos/{convos[0].id}")
    assert convo.data.llm == {"type": "openai", "name": "gpt-4o"}

    await agents.delete(taskade_session, a)
    sent(taskade_fake, "DELETE", f"/agents/{a}")
    assert a not in {x.id for x in taskade_fake.agents}


async def test_agent_public(
    taskade_fake: FakeTaskade, taskade_session: tk.Session, world: World
) -> None:
    """Public access: enable (publicUrl kept), read, update preferences, read by public id."""
    a = world.agent
    access = await agents.enable_public_access(taskade_session, a)
    sent(taskade_fake, "PUT", f"/agents/{a}/publicAccess")
    public_id = access.public_url.rsplit("/", 1)[-1]

    public = await agents.get_public(taskade_session, a)
    sent(taskade_fake, "GET", f"/agents/{a}/public-agent")
    assert public.public_url == access.public_url
    assert public.item.id

    changed = await agents.update_public(
        taskade_session,
        a,
        preferences=PublicAgentPreferencesUpdate(theme="dark", launcher_icon=None),
    )
    sent(
        taskade_fake,
        "PATCH",
        f"/agents/{a}/public-agent",
        body={"preferences": {"theme": "dark", "launcherIcon": None}},
    )
    assert changed.preferences.theme == "dark"

    by_public_id = await agents.get_public_agent(taskade_session, public_id)
    sent(taskade_fake, "GET", f"/public-agents/{public_id}")
    assert by_public_id.item.preferences.theme == "dark"


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


def sent_raw(fake: FakeTaskade, method: str, path: str) -> RecordedRequest:
    """The last request, checked for method and path only."""
    request = fake.requests[-1]
    assert (request.method, request.path) == (method, "/api/v1" + path)
    return request


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
