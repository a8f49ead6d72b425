"""Every API function against FakeTaskade: tasks and agents (the exact request, the result)."""

from __future__ import annotations

import pytest

import taskade_async as tk
from taskade_async.api import agents, folders, tasks, workspaces
from taskade_async.models import (
    Date,
    MoveTarget,
    NewTask,
    PublicAgentPreferencesUpdate,
    SpaceAgentData,
    Task,
)
from taskade_async.testing import FakeTaskade

from ._world import World, sent

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
    """A task without a date or a note: get_date and get_note both return None.

    Taskade answers 404 for a task without a date, so get_date cannot tell it
    from a missing task; get_note can.
    """
    p, t = world.project, world.task_ids[1]
    assert await tasks.get_date(taskade_session, p, t) is None
    assert await tasks.get_note(taskade_session, p, t) is None
    assert await tasks.get_date(taskade_session, p, "no-such-task") is None
    with pytest.raises(tk.NotFoundError):
        await tasks.get_note(taskade_session, p, "no-such-task")


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
